using System.Security.Cryptography;
using System.Text;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// Everything needed to continue training where it stopped: completed epochs and global steps, the model's weights and
/// buffers (<see cref="Model.Trainer.SaveState"/>), the optimizer state (<see cref="ExplicitScalarAdamW.SaveState"/>: AdamW
/// moments and step count), the data
/// order's seed (the order of any epoch follows from it, see <see cref="DataParallelStep"/>) and torch's random
/// generator state (dropout), and the recipe's model selection so far (<see cref="Selection"/>: the best validation epoch,
/// its weights and the early-stopping count). <see cref="RunId"/> ties it to the run's data and settings.
/// </summary>
public sealed record TrainingCheckpoint(
    string RunId,
    int Epoch,
    long Step,
    int Seed,
    byte[] ModelState,
    byte[] OptimizerState,
    byte[] RandomState,
    DateTimeOffset SavedAt)
{
    private static ReadOnlySpan<byte> Magic => "ECTC"u8;
    /// <summary>Version 2 adds <see cref="Selection"/>; version 1 files (without it) still load.</summary>
    private const int Version = 2;

    /// <summary>The model selection when the checkpoint was made; null in a version 1 checkpoint (it starts afresh).</summary>
    public ModelSelectionState? Selection { get; init; }

    public byte[] ToBytes()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(RunId);
            w.Write(Epoch);
            w.Write(Step);
            w.Write(Seed);
            w.Write(SavedAt.ToUnixTimeMilliseconds());
            foreach (var bytes in new[] { ModelState, OptimizerState, RandomState })
            {
                w.Write(bytes.Length);
                w.Write(bytes);
            }
            w.Write(Selection is not null);
            if (Selection is { } m)
            {
                w.Write(m.BestEpoch);
                w.Write(m.BestUar);
                w.Write(m.BestLoss);
                w.Write(m.EpochsWithoutGain);
                w.Write(m.BestState.Length);
                w.Write(m.BestState);
            }
        }
        var body = ms.ToArray();
        var result = new byte[body.Length + 32];
        body.CopyTo(result, 0);
        SHA256.HashData(body).CopyTo(result, body.Length);
        return result;
    }

    /// <exception cref="InvalidDataException">not a checkpoint, another version, truncated or damaged; the message names <paramref name="name"/>.</exception>
    public static TrainingCheckpoint FromBytes(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 40 || !bytes.AsSpan(0, 4).SequenceEqual(Magic))
            throw new InvalidDataException($"{name}: not a training checkpoint (bad header); delete it to start the run from scratch");
        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
            throw new InvalidDataException($"{name}: checksum mismatch (damaged or truncated checkpoint); delete it to start the run from scratch");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, 4, bytes.Length - 36, writable: false), Encoding.UTF8);
            int version = r.ReadInt32();
            if (version is < 1 or > Version)
                throw new InvalidDataException($"{name}: checkpoint format version {version}; this build reads versions 1 to {Version}");
            string runId = r.ReadString();
            int epoch = r.ReadInt32();
            long step = r.ReadInt64();
            int seed = r.ReadInt32();
            var savedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64());
            byte[] Read()
            {
                int n = r.ReadInt32();
                if (n < 0 || n > r.BaseStream.Length - r.BaseStream.Position) throw new InvalidDataException($"{name}: section of {n} bytes exceeds the file");
                return r.ReadBytes(n);
            }
            var model = Read();
            var optimizer = Read();
            var random = Read();
            if (epoch < 0 || step < 0) throw new InvalidDataException($"{name}: negative epoch {epoch} or step {step}");
            ModelSelectionState? selection = null;
            if (version >= 2 && r.ReadBoolean())
                selection = new ModelSelectionState(r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadInt32(), Read());
            return new TrainingCheckpoint(runId, epoch, step, seed, model, optimizer, random, savedAt) { Selection = selection };
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{name}: truncated checkpoint; delete it to start the run from scratch", e);
        }
    }
}

/// <summary>
/// The recipe's model selection during a run: the best validation epoch so far (0: none), its UAR and loss, its weights
/// (<see cref="Model.Trainer.SaveState"/>; empty when none) and the epochs since it (early stopping).
/// </summary>
public sealed record ModelSelectionState(int BestEpoch, double BestUar, double BestLoss, int EpochsWithoutGain, byte[] BestState);

/// <summary>
/// The latest checkpoint of one trainer in a directory (<c>checkpoint.ectc</c>), written to a temporary file and
/// renamed over the previous one, so a process killed mid-write leaves the previous checkpoint intact.
/// </summary>
public sealed class CheckpointStore
{
    public const string FileName = "checkpoint.ectc";

    public CheckpointStore(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
            throw new ArgumentException("The checkpoint directory is empty; set EmotionCluster:Training:CheckpointDirectory.", nameof(directory));
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }
    public string FilePath => Path.Combine(Directory, FileName);

    public void Save(TrainingCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        System.IO.Directory.CreateDirectory(Directory);
        string tmp = Path.Combine(Directory, $"{FileName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(checkpoint.ToBytes());
                file.Flush(flushToDisk: true);
            }
            File.Move(tmp, FilePath, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>The latest checkpoint, or null when there is none.</summary>
    public TrainingCheckpoint? TryLoad() =>
        File.Exists(FilePath) ? TrainingCheckpoint.FromBytes(File.ReadAllBytes(FilePath), FilePath) : null;
}
