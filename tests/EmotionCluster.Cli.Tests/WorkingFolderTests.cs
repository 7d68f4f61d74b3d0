using System.Diagnostics;
using EmotionCluster.Audio;
using EmotionCluster.Testing;
using Xunit;
using static EmotionCluster.Cli.Tests.LongFilePredictTests;

namespace EmotionCluster.Cli.Tests;

/// <summary>
/// Commands never litter the current folder unless asked: each is run as its own process in an empty working folder
/// (with its own $XDG_CACHE_HOME and $XDG_DATA_HOME) and the folder is still empty afterwards; what they write unasked
/// goes to the cache (features) or beside what the user named (the journal beside --out), what they are asked to
/// write goes where --out says.
/// </summary>
[Collection("training")]
public sealed class WorkingFolderTests : IDisposable
{
    private readonly TempDir _dir = new("ec-cwd-");
    private readonly string _cwd, _cache, _data;

    public WorkingFolderTests()
    {
        _cwd = Directory.CreateDirectory(_dir.File("cwd")).FullName;
        _cache = _dir.File("xdg-cache");
        _data = _dir.File("xdg-data");
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>The built CLI as a user runs it in <see cref="_cwd"/>: exit code, stdout, stderr.</summary>
    private (int Code, string Out, string Err) Cli(params string[] args)
    {
        string cli = BuildOutput.Require(Path.Combine("src", "EmotionCluster.Cli"), "emotioncluster.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _cwd };
        psi.ArgumentList.Add(cli);
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["XDG_CACHE_HOME"] = _cache;
        psi.Environment["XDG_DATA_HOME"] = _data;
        psi.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        psi.Environment["DOTNET_gcServer"] = "0";
        psi.Environment.Remove("EmotionCluster__Persistence__ConnectionString");
        psi.Environment.Remove("EmotionCluster__Persistence__Provider");
        using var process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10))) { process.Kill(true); throw new TimeoutException(string.Join(' ', args)); }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private void AssertWorkingFolderEmpty(string after) =>
        Assert.True(!Directory.EnumerateFileSystemEntries(_cwd).Any(),
            $"{after} wrote into the working folder: {string.Join(", ", Directory.EnumerateFileSystemEntries(_cwd, "*", SearchOption.AllDirectories))}");

    [Fact]
    public void Stats_evaluate_predict_runs_and_report_leave_the_working_folder_as_it_was()
    {
        string model = TinyModel(_dir.File("tiny.ecm"));
        string a = _dir.File("a.wav"), n = _dir.File("n.wav");
        File.WriteAllBytes(a, WavWriter.ToBytes(Tone(3.0, 150, 1), Rate));
        File.WriteAllBytes(n, WavWriter.ToBytes(Tone(3.0, 250, 2), Rate));
        string corpus = _dir.File("corpus.csv");
        File.WriteAllLines(corpus, ["file,emotion,speaker", $"{a},anger,s1", $"{n},neutral,s1"]);

        var r = Cli("dataset", "stats", "--data", corpus);
        Assert.True(r.Code == 0, r.Err + r.Out);
        Assert.Contains("no files written; give --out DIR", r.Out);
        AssertWorkingFolderEmpty("dataset stats");

        r = Cli("evaluate", "--model", model, "--data", corpus);
        Assert.True(r.Code == 0, r.Err + r.Out);
        Assert.Contains("no files written; give --out DIR", r.Out);
        AssertWorkingFolderEmpty("evaluate");

        r = Cli("predict", a, "--model", model);
        Assert.True(r.Code == 0, r.Err + r.Out);
        AssertWorkingFolderEmpty("predict");

        r = Cli("runs", "list"); // no journal yet: an error, and none created here
        Assert.Equal(2, r.Code);
        AssertWorkingFolderEmpty("runs list");

        r = Cli("report", "--run", _dir.File("no-run"));
        Assert.Equal(2, r.Code);
        AssertWorkingFolderEmpty("report");

        // the training commands write a run directory: they ask where, instead of making out/run here
        foreach (string command in new[] { "run", "train", "crossval", "manifest" })
        {
            r = Cli(command, "--data", corpus);
            Assert.Equal(2, r.Code);
            Assert.Contains("--out", r.Err);
            AssertWorkingFolderEmpty(command);
        }

        // asked: evaluate writes where --out says, a relative --out inside the working folder
        r = Cli("evaluate", "--model", model, "--data", corpus, "--out", "eval");
        Assert.True(r.Code == 0, r.Err + r.Out);
        Assert.True(File.Exists(Path.Combine(_cwd, "eval", "metrics.json")));
        Assert.False(Directory.Exists(Path.Combine(_cwd, "out")));
    }

    [EmoDbFact]
    public void Train_and_manifest_cache_features_under_XDG_CACHE_HOME_and_write_only_where_out_says()
    {
        string run = _dir.File("runs", "run"), prep = _dir.File("prep");
        var r = Cli("train", "--data", Datasets.RequireEmoDb(), "--out", run, "--extraction", "local", "--limit", "6", "--epochs", "1",
            "--no-augment", "--emotions", "anger,neutral");
        Assert.True(r.Code == 0, r.Err + r.Out);
        AssertWorkingFolderEmpty("train");
        Assert.True(File.Exists(Path.Combine(run, "model.ecm")));
        Assert.True(File.Exists(_dir.File("runs", "emotioncluster.db")), "the journal beside the run directory");
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(_cache, "emotioncluster", "features"), "*", SearchOption.AllDirectories));

        r = Cli("manifest", "--data", Datasets.RequireEmoDb(), "--out", prep, "--extraction", "local", "--limit", "6", "--emotions", "anger,neutral");
        Assert.True(r.Code == 0, r.Err + r.Out);
        AssertWorkingFolderEmpty("manifest");
        Assert.True(File.Exists(Path.Combine(prep, "training-manifest.json")), r.Out);
    }
}
