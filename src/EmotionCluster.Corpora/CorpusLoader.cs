namespace EmotionCluster.Corpora;

/// <summary>Loads a corpus folder of any known layout, tried in this order: EMO-DB, AESDD, folder-per-label.</summary>
public static class CorpusLoader
{
    /// <summary>The layout of the folder, or null when it is none of the known ones.</summary>
    public static CorpusLayout? Detect(string dir)
    {
        if (!Directory.Exists(dir)) return null;
        if (EmoDbCorpus.Looks(dir)) return CorpusLayout.EmoDb;
        if (AesddCorpus.Looks(dir)) return CorpusLayout.Aesdd;
        if (FolderCorpus.Looks(dir)) return CorpusLayout.FolderPerLabel;
        return null;
    }

    /// <exception cref="CorpusException">The folder is missing or of no known layout.</exception>
    public static Corpus Load(string dir)
    {
        CorpusFiles.RequireDirectory(dir);
        return Detect(dir) switch
        {
            CorpusLayout.EmoDb => EmoDbCorpus.Load(dir),
            CorpusLayout.Aesdd => AesddCorpus.Load(dir),
            CorpusLayout.FolderPerLabel => FolderCorpus.Load(dir),
            _ => throw new CorpusException(dir,
                "not a known corpus layout. Expected EMO-DB (wav/ with files like 03a01Fa.wav), AESDD (anger/ disgust/ " +
                "fear/ happiness/ sadness/ with files like 'a01 (1).wav') or one subfolder per emotion label holding .wav files"),
        };
    }
}
