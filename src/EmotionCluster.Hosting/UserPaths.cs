namespace EmotionCluster.Hosting;

/// <summary>
/// Where nodes and commands keep what they write when no setting or flag names a place — never the current folder
/// (XDG base directories): the feature cache under <c>$XDG_CACHE_HOME/emotioncluster</c> (default
/// <c>~/.cache/emotioncluster</c>), state worth keeping (the node's journal, published models) under
/// <c>$XDG_DATA_HOME/emotioncluster</c> (default <c>~/.local/share/emotioncluster</c>). Read at each call, so a
/// process's environment decides.
/// </summary>
public static class UserPaths
{
    public const string Folder = "emotioncluster";

    /// <summary>A path in the cache folder (re-creatable: features).</summary>
    public static string Cache(params string[] parts) => Path.Combine([Base("XDG_CACHE_HOME", ".cache"), Folder, .. parts]);

    /// <summary>A path in the data folder (kept: the journal, published models).</summary>
    public static string Data(params string[] parts) => Path.Combine([Base("XDG_DATA_HOME", Path.Combine(".local", "share")), Folder, .. parts]);

    private static string Base(string variable, string underHome)
    {
        // XDG: a relative value is invalid and ignored
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } dir && Path.IsPathRooted(dir)) return dir;
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? Path.Combine(Path.GetTempPath(), Folder + "-" + Environment.UserName) : Path.Combine(home, underHome);
    }
}
