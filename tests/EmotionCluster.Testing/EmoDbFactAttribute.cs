using System.Runtime.CompilerServices;
using Xunit;

namespace EmotionCluster.Testing;

/// <summary>A fact that needs EMO-DB: skipped with the reason when it is missing, failing under CI=true.</summary>
public sealed class EmoDbFactAttribute : FactAttribute
{
    public EmoDbFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber) =>
        Skip = Datasets.SkipReason(Datasets.HasEmoDb, "EMO-DB", Path.Combine(Datasets.EmoDbDir, "wav"));
}
