using System.Data.Common;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using EmotionCluster.Audio;
using EmotionCluster.Corpora;
using EmotionCluster.Management;
using EmotionCluster.Streaming;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Deployment.Tests;

/// <summary>
/// A fact that runs the rendered manifests' containers: needs EMO-DB, PostgreSQL 15 (deploy/install-deps.sh) and the
/// built node and CLI. Locally a missing one skips with the reason; under CI=true the test runs and fails on it.
/// </summary>
public sealed class KubelessFactAttribute : FactAttribute
{
    private bool _postgres = true;

    public KubelessFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber) => Skip = Reason();

    /// <summary>The test starts a PostgreSQL server (default true).</summary>
    public bool Postgres
    {
        get => _postgres;
        set
        {
            _postgres = value;
            Skip = Reason();
        }
    }

    private string? Reason()
    {
        if (Datasets.IsCi) return null;
        var missing = new List<string>();
        if (!Datasets.HasEmoDb) missing.Add(Datasets.MissingReason("EMO-DB", Path.Combine(Datasets.EmoDbDir, "wav")));
        if (Postgres && !TestPostgres.Available) missing.Add($"PostgreSQL 15 not found in {TestPostgres.PgBin} (bash deploy/install-deps.sh, or PG_BIN)");
        foreach (string project in new[] { "EmotionCluster.Node", "EmotionCluster.Cli" })
            if (!Directory.Exists(Path.Combine(Datasets.RepoRoot, "src", project, "bin", BuildOutput.Configuration)))
                missing.Add($"src/{project} is not built (dotnet build -c {BuildOutput.Configuration} src/{project})");
        return missing.Count > 0 ? string.Join("; ", missing) + " (skipped; under CI=true this fails)" : null;
    }
}
