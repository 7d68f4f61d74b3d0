namespace EmotionCluster.Testing;

/// <summary>Files of the repository's build output, in the configuration (Debug or Release) of the running tests.</summary>
public static class BuildOutput
{
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

    /// <summary>
    /// <paramref name="fileName"/> in the output of the project in <paramref name="projectDir"/> (relative to the
    /// repository, e.g. <c>src/EmotionCluster.Node</c>); a missing file is an error naming it and what to do.
    /// </summary>
    public static string Require(string projectDir, string fileName)
    {
        string path = Path.Combine(Datasets.RepoRoot, projectDir, "bin", Configuration, "net10.0", fileName);
        return File.Exists(path) ? path : throw new FileNotFoundException($"not built: {path}; run dotnet build -c {Configuration} first");
    }
}
