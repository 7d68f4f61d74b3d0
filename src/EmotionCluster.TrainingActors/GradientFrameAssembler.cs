using EmotionCluster.Wire;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// Splits a float vector into <see cref="GradientFrame"/>s small enough for one remote frame and puts them back
/// together (over <see cref="ChunkTransport{TKey,T}"/>, one transfer per step and rank). Frames of one (step, rank) come
/// from one actor, so they arrive in order.
/// </summary>
public sealed class GradientFrameAssembler
{
    /// <summary>Values per frame: 64,000 bytes of floats, so a serialized frame (with its header) stays under 64 kB.</summary>
    public const int DefaultValuesPerFrame = 16_000;

    /// <summary>Rank of the reduced result sent by the coordinator.</summary>
    public const int ResultRank = -1;

    private readonly ChunkTransport<(long Step, int Rank), float> _transport =
        new((long)Array.MaxLength * sizeof(float), key => $"gradient transfer of step {key.Step}, rank {key.Rank}");

    public static IEnumerable<GradientFrame> Split(string runId, long step, int rank, float[] values, int valuesPerFrame = DefaultValuesPerFrame)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(valuesPerFrame, 1);
        return ChunkTransport.Split(values, valuesPerFrame * sizeof(float))
            .Select(c => new GradientFrame(runId, step, rank, c.Index, c.Count, values.Length, c.Bytes));
    }

    /// <summary>Adds a frame; returns the whole vector when its last frame arrived, else null.</summary>
    /// <exception cref="InvalidDataException">a frame missing or inconsistent with the first one.</exception>
    public float[]? Add(GradientFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return _transport.Add((frame.Step, frame.Rank), frame.Index, frame.Count, (long)frame.TotalValues * sizeof(float), frame.Bytes);
    }

    /// <summary>Forgets unfinished transfers of steps before <paramref name="step"/> (a dropped replica's leftovers).</summary>
    public int DiscardBefore(long step) => _transport.AbandonWhere(k => k.Step < step);

    public void Discard(long step, int rank) => _transport.Abandon((step, rank));

    public int OpenTransfers => _transport.OpenTransfers;
}
