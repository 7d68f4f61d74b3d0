using System.IO.Compression;
using System.Net;
using EmotionCluster.Acquisition;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Deployment.Tests;

/// <summary>
/// The corpus of the prepare Job, from a volume (overlay dev: its init container <c>corpus</c> waits for the folder)
/// or downloaded (overlay dev-download: the same init container runs <c>emotioncluster dataset download emodb</c>).
/// </summary>
public sealed class DownloadJobTests(ITestOutputHelper output)
{
    private const string UrlVariable = "EMOTIONCLUSTER_EMODB_URL";

    private void Log(string line)
    {
        try { output.WriteLine(line); } catch (InvalidOperationException) { }
    }

    private static (YamlNode Init, YamlNode Prepare) PrepareJob(Manifests m)
    {
        YamlNode pod = m.Single("Job", "emotioncluster-prepare").Node["spec"]["template"]["spec"];
        return (pod["initContainers"].Items.Single(c => c["name"].Text == "corpus"), pod["containers"].Items.Single(c => c["name"].Text == "prepare"));
    }

    private static string Arg(YamlNode container, string flag)
    {
        var args = container["args"].Items.Select(a => a.Text!).ToList();
        int at = args.IndexOf(flag);
        Assert.True(at >= 0 && at + 1 < args.Count, $"{container["name"].Text}: no {flag} VALUE in {string.Join(' ', args)}");
        return args[at + 1];
    }

    /// <summary>The claim and mount path under which <paramref name="path"/> lies in <paramref name="container"/>.</summary>
    private static (string Claim, string MountPath) Volume(Manifests m, YamlNode container, string path)
    {
        YamlNode pod = m.Single("Job", "emotioncluster-prepare").Node["spec"]["template"]["spec"];
        YamlNode mount = container["volumeMounts"].Items.Where(v => path.StartsWith(v["mountPath"].Text!.TrimEnd('/') + "/", StringComparison.Ordinal))
            .OrderByDescending(v => v["mountPath"].Text!.Length).First();
        YamlNode volume = pod["volumes"].Items.Single(v => v["name"].Text == mount["name"].Text);
        string? claim = volume["persistentVolumeClaim"]["claimName"].Text;
        Assert.True(claim is not null, $"{container["name"].Text}: {path} is on volume {mount["name"].Text}, not on a claim");
        return (claim!, mount["mountPath"].Text!);
    }

    [Fact]
    public void Dev_prepare_Job_waits_for_the_corpus_folder_its_extraction_reads()
    {
        var (init, prepare) = PrepareJob(Kustomize.Overlay("dev"));
        string data = Arg(prepare, "--data");
        Assert.Equal(KubelessFlowTests.CorpusPath, data); // the path docs/deployment.md tells users to fill
        var command = init["command"].Items.Select(c => c.Text).ToList();
        Assert.Equal("bash", command[0]);
        Assert.Contains($"[ -d {data} ]", command[^1]);
    }

    [Fact]
    public void Download_overlay_downloads_EMO_DB_onto_the_claim_where_the_prepare_Job_reads_it()
    {
        Manifests m = Kustomize.Overlay("dev-download");
        var (init, prepare) = PrepareJob(m);
        Assert.Equal(["emotioncluster"], init["command"].Items.Select(c => c.Text));
        Assert.Equal(["dataset", "download", "emodb"], init["args"].Items.Take(3).Select(a => a.Text));
        string to = Arg(init, "--to"), data = Arg(prepare, "--data");
        Assert.Equal(data, $"{to.TrimEnd('/')}/{CorpusSources.EmoDb.Name}"); // `download --to DIR` writes DIR/emodb
        var (downloadClaim, downloadMount) = Volume(m, init, data);
        var (prepareClaim, prepareMount) = Volume(m, prepare, data);
        Assert.Equal(prepareClaim, downloadClaim);
        Assert.Equal(prepareMount, downloadMount);
        // the mirror setting is declared (empty: the official archive), so an overlay can point it elsewhere
        Assert.Contains(init["env"].Items, e => e["name"].Text == UrlVariable && e["value"].Text == "");
        // the rest of the Job is the dev overlay's
        Assert.Equal(PrepareJob(Kustomize.Overlay("dev")).Prepare["args"].Items.Select(a => a.Text), prepare["args"].Items.Select(a => a.Text));
    }

    [KubelessFact(Postgres = false)]
    public async Task Download_init_container_fills_the_claim_from_a_mirror_and_does_not_fetch_a_verified_corpus_again()
    {
        Manifests m = Kustomize.Overlay("dev-download");
        using var root = new TempDir("ec-kubeless-download-");
        using var cluster = new KubelessCluster(m, root.Path) { Log = Log };
        using var mirror = new ZipServer(ZipOf(Datasets.RequireEmoDb()));
        KubelessPod pod = cluster.Pod("Job", "emotioncluster-prepare");
        var env = pod.Command(pod.Container("corpus")).Env;
        Assert.True(env.ContainsKey(UrlVariable), $"{UrlVariable} is not declared by the rendered init container");
        var overrides = new Dictionary<string, string> { [UrlVariable] = mirror.Url }; // the documented mirror setting

        using (PodProcess download = pod.Start("corpus", overrides))
            Assert.True(await download.WaitForExit(TimeSpan.FromMinutes(2)) == 0, download.Output);
        string corpus = KubelessPod.MapPaths(Arg(pod.Container("prepare"), "--data"), pod.Mounts(pod.Container("prepare")));
        VerificationReport report = CorpusVerifier.VerifyEmoDb(corpus);
        Assert.True(report.Ok, string.Join('\n', report.Describe()));
        Assert.Equal(CorpusSources.EmoDb.Manifest.Entries.Count, report.Verified);
        Assert.Equal(1, mirror.Requests);

        // a retry of the Job (or a second apply) verifies what is there and fetches nothing
        using (PodProcess again = pod.Start("corpus", overrides))
            Assert.True(await again.WaitForExit(TimeSpan.FromMinutes(1)) == 0, again.Output);
        Assert.Equal(1, mirror.Requests);
        Assert.Empty(Directory.EnumerateFileSystemEntries(pod.RootFs)); // readOnlyRootFilesystem
    }

    /// <summary>EMO-DB laid out as its release zip: wav/… and the two notes files, stored (not compressed).</summary>
    private static byte[] ZipOf(string emodb)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (string file in Directory.EnumerateFiles(emodb, "*", SearchOption.AllDirectories))
            {
                string name = Path.GetRelativePath(emodb, file).Replace('\\', '/');
                if (!name.StartsWith("wav/", StringComparison.Ordinal) && !CorpusSources.EmoDb.AlsoCopy.Contains(name)) continue;
                zip.CreateEntryFromFile(file, name, CompressionLevel.NoCompression);
            }
        return memory.ToArray();
    }

    /// <summary>One zip over HTTP on 127.0.0.1 (a mirror of the official archive), counting the requests.</summary>
    private sealed class ZipServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly byte[] _zip;
        private int _requests;

        public string Url { get; }
        public int Requests => Volatile.Read(ref _requests);

        public ZipServer(byte[] zip)
        {
            _zip = zip;
            int port = Testing.NodeProcess.FreePort();
            Url = $"http://127.0.0.1:{port}/download.zip";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _ = Task.Run(Serve);
        }

        private async Task Serve()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                Interlocked.Increment(ref _requests);
                try
                {
                    context.Response.StatusCode = context.Request.Url?.AbsolutePath == "/download.zip" ? 200 : 404;
                    if (context.Response.StatusCode == 200)
                    {
                        context.Response.ContentType = "application/zip";
                        context.Response.ContentLength64 = _zip.Length;
                        await context.Response.OutputStream.WriteAsync(_zip);
                    }
                    context.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or IOException) { /* the client went away */ }
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
        }
    }
}
