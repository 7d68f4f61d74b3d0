using System.Runtime.CompilerServices;
using Xunit;

namespace EmotionCluster.Testing;

/// <summary>A fact that needs the AESDD file list.</summary>
public sealed class AesddFactAttribute : FactAttribute
{
    public AesddFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber) =>
        Skip = Datasets.SkipReason(Datasets.HasAesddFileList, "AESDD file list", Datasets.AesddFileList);
}
