using System.Runtime.CompilerServices;
using Xunit;

namespace EmotionCluster.Testing;

public sealed class EmoDbTheoryAttribute : TheoryAttribute
{
    public EmoDbTheoryAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber) =>
        Skip = Datasets.SkipReason(Datasets.HasEmoDb, "EMO-DB", Path.Combine(Datasets.EmoDbDir, "wav"));
}
