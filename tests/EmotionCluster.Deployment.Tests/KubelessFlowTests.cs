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
/// The dev overlay run as rendered, without a Kubernetes server (<see cref="KubelessCluster"/> says what is mapped):
/// a corpus on the claim → the prepare Job → the trainer StatefulSet trains the Job's manifest → its best model is
/// published → the predictor becomes ready → one stream is classified over the predictor Service's WebSocket.
/// It proves the manifests' wiring (paths, claims, Secrets, Services, probes, settings), not only their syntax.
/// </summary>
public sealed class KubelessFlowTests(ITestOutputHelper output)
{
    /// <summary>Where docs/deployment.md tells users to put the corpus: on the claim the prepare Job mounts at /data.</summary>
    public const string CorpusPath = "/data/corpus/emodb";
    /// <summary>Three EMO-DB emotions (anger, sadness, neutral), one clip per speaker and emotion: 30 clips, the dev recipe's --limit 10 each.</summary>
    public static readonly char[] SubsetLetters = ['W', 'T', 'N'];

    private void Log(string line)
    {
        try { output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.f} {line}"); } catch (InvalidOperationException) { }
    }

    [KubelessFact]
    public async Task Dev_overlay_prepares_trains_publishes_and_serves_a_stream_as_rendered()
    {
        using var cancelSource = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        CancellationToken cancel = cancelSource.Token;
        Manifests m = Kustomize.Overlay("dev");
        using var root = new TempDir("ec-kubeless-");
        using var postgres = TestPostgres.Start();
        using var cluster = new KubelessCluster(m, root.Path) { Log = Log };

        // PostgreSQL: the rendered StatefulSet's database, user and password are what the nodes' connection string
        // names; its Service resolves to the test server (a real PostgreSQL 15, as the StatefulSet runs).
        K8sObject pgSet = m.Single("StatefulSet", "emotioncluster-postgres");
        YamlNode pgContainer = new Workload(pgSet).Containers.Single();
        var pgEnv = m.Environment(pgContainer, cluster.Namespace);
        int pgPort = pgContainer["ports"].Items.Single()["containerPort"].Int;
        cluster.Backend(pgSet.Name, "127.0.0.1", p => p == pgPort ? postgres.Port : throw new InvalidOperationException($"postgres has no port {p}"));

        // 1. the corpus, copied onto the claim as docs/deployment.md says (under another name, then renamed), while the
        // prepare Job's init container waits for it
        KubelessPod prepare = cluster.Pod("Job", "emotioncluster-prepare");
        string corpus = KubelessPod.MapPaths(CorpusPath, prepare.Mounts(prepare.Container("prepare")));
        Assert.NotEqual(CorpusPath, corpus); // /data is a mounted volume in the Job
        PodProcess waitForCorpus = prepare.Start("corpus");
        var clips = CopySubset(Datasets.RequireEmoDb(), corpus + ".partial");
        await Task.Delay(TimeSpan.FromSeconds(2), cancel);
        Assert.False(waitForCorpus.HasExited, $"the prepare Job's init container did not wait for the corpus:\n{waitForCorpus.Output}");
        Directory.Move(corpus + ".partial", corpus);
        Assert.Equal(0, await waitForCorpus.WaitForExit(TimeSpan.FromSeconds(30)));
        Log($"corpus: {clips.Count} clips in {corpus}");

        // 2. the prepare Job, the trainer's init container waiting for its manifest, the predictor (not ready: no model)
        KubelessPod trainer = cluster.Pod("StatefulSet", "emotioncluster-trainer");
        KubelessPod predictor = cluster.Pod("Deployment", "emotioncluster-predictor");
        PodProcess predictorNode = predictor.Start("node");
        PodProcess waitForManifest = trainer.Start("wait-for-manifest");
        PodProcess job = prepare.Start("prepare");
        Assert.Equal(0, await job.WaitForExit(TimeSpan.FromMinutes(5)));
        Assert.Equal(0, await waitForManifest.WaitForExit(TimeSpan.FromSeconds(30)));

        var notReady = await ProbeUntil(predictor, "node", "readinessProbe", r => r.Status is not null, TimeSpan.FromSeconds(90), cancel);
        Assert.Equal(503, notReady.Status);
        Assert.False(ModelCheck(notReady.Body)!.Ok);

        // 3. the trainer node: trains the manifest from the claim, journals to PostgreSQL, publishes its best model
        var trainerEnv = trainer.Command(trainer.Container("node")).Env;
        var connection = new DbConnectionStringBuilder { ConnectionString = trainerEnv["EmotionCluster__Persistence__ConnectionString"] };
        Assert.Equal(pgEnv["POSTGRES_DB"], connection["Database"]);
        Assert.Equal(pgEnv["POSTGRES_USER"], connection["Username"]);
        Assert.Equal(pgEnv["POSTGRES_PASSWORD"], connection["Password"]);
        Assert.Equal((postgres.Host, postgres.Port), ((string)connection["Host"], int.Parse((string)connection["Port"])));
        PodProcess trainerNode = trainer.Start("node");
        string bestModel = trainerEnv["EmotionCluster__Training__BestModelOutput"];
        Assert.StartsWith(cluster.ClaimFolder("emotioncluster-training"), bestModel); // on the claim, not on an emptyDir

        // 4. the predictor gets the model and becomes ready (a failed run or a node that exits fails at once)
        string trainerHttp = $"http://{trainer.Ip}:{PortNamed(trainer.Container("node"), "http")}";
        using var api = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        api.DefaultRequestHeaders.Authorization = new("Bearer", trainerEnv["EmotionCluster__Http__Token"]);
        async Task<TrainingStatus?> Training()
        {
            try { return await api.GetFromJsonAsync<TrainingStatus>($"{trainerHttp}/api/train/status", cancel); }
            catch (HttpRequestException) { return null; } // not listening yet
            catch (TaskCanceledException) when (!cancel.IsCancellationRequested) { return null; }
        }
        var ready = await ProbeUntil(predictor, "node", "readinessProbe", r => r.Status == 200, TimeSpan.FromMinutes(4), cancel, async () =>
            trainerNode.HasExited || predictorNode.HasExited ? $"a node exited:\n{trainerNode.Output}\n{predictorNode.Output}"
            : await Training() is { State: "failed" } failed ? $"training failed: {failed.Message}" : null);
        Assert.Equal(200, ready.Status);

        // the run: the Job's recipe (--epochs), to the end, journalled in PostgreSQL (the evaluator's run list)
        TrainingStatus? status = await Until(Training, t => t?.State is "finished" or "failed", TimeSpan.FromMinutes(3), cancel);
        Assert.Equal("finished", status?.State);
        var jobArgs = prepare.Container("prepare")["args"].Items.Select(a => a.Text).ToList();
        Assert.Equal(int.Parse(jobArgs[jobArgs.IndexOf("--epochs") + 1]!), status!.MaxEpochs);
        string checkpoints = trainerEnv["EmotionCluster__Training__CheckpointDirectory"];
        Assert.StartsWith(cluster.ClaimFolder("emotioncluster-training"), checkpoints); // a rescheduled trainer resumes from it
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries(checkpoints));
        var runs = (await api.GetFromJsonAsync<List<RunInfo>>($"{trainerHttp}/api/runs", cancel))!;
        Assert.Contains(runs, r => r.RunId == status.RunId);
        Assert.Equal(200, (await trainer.Probe("node", "readinessProbe", cancel)).Status); // member, journal reachable

        // the best model on the claim is the one the predictor serves and keeps in its model folder for a restart
        Assert.True(File.Exists(bestModel), $"the trainer wrote no {bestModel}");
        byte[] best = File.ReadAllBytes(bestModel);
        string modelDirectory = predictor.Command(predictor.Container("node")).Env["EmotionCluster__Streaming__ModelDirectory"];
        string kept = Path.Combine(modelDirectory, StreamingSettings.PublishedModelName);
        string served = $"model {StreamingModel.IdOf(Path.GetFileName(bestModel), best)} loaded";
        // the predictor loads the published models one after the other (a loaded machine takes seconds for each)
        var (detail, keptBytes) = await Until(async () => (ModelCheck((await predictor.Probe("node", "readinessProbe", cancel)).Body)?.Detail,
                File.Exists(kept) ? File.ReadAllBytes(kept) : []),
            x => x.Item1 == served && x.Item2.AsSpan().SequenceEqual(best), TimeSpan.FromSeconds(120), cancel);
        Assert.Equal(served, detail);
        Assert.True(keptBytes.AsSpan().SequenceEqual(best), $"{kept} is not the trainer's {bestModel}");

        // a container restart (the pod and its emptyDir stay): the predictor loads the kept model before it even joins
        predictorNode.Kill();
        predictorNode = predictor.Start("node");
        var restarted = await ProbeUntil(predictor, "node", "readinessProbe", r => ModelCheck(r.Body)?.Ok == true, TimeSpan.FromSeconds(90), cancel);
        Assert.Equal($"model {StreamingModel.IdOf(StreamingSettings.PublishedModelName, best)} loaded", ModelCheck(restarted.Body)!.Detail);
        await ProbeUntil(predictor, "node", "readinessProbe", r => r.Status == 200, TimeSpan.FromSeconds(90), cancel);

        // 5. one stream through the predictor Service
        var (host, port) = cluster.Resolve("emotioncluster-predictor", m.Single("Service", "emotioncluster-predictor").Spec["ports"][0]["port"].Int);
        string token = predictor.Command(predictor.Container("node")).Env["EmotionCluster__Http__Token"];
        string clip = Directory.EnumerateFiles(Path.Combine(Datasets.RequireEmoDb(), "wav"), "*.wav").Order()
            .First(f => Path.GetFileNameWithoutExtension(f)[5] == 'W' && !clips.Contains(Path.GetFileName(f)));
        var messages = await StreamAsync($"http://{host}:{port}", token, WavReader.Read(clip).Clip, cancel);
        var expectedLabels = SubsetLetters.Select(l => EmoDbCorpus.EmotionLetters[l]).Order().ToArray();
        Assert.Equal("started", messages[0].GetProperty("type").GetString());
        Assert.Equal(expectedLabels, messages[0].GetProperty("labels").EnumerateArray().Select(e => e.GetString()).Order().ToArray());
        var predictions = messages.Where(x => x.GetProperty("type").GetString() == "prediction").ToList();
        Assert.NotEmpty(predictions);
        Assert.All(predictions, p => Assert.Contains(p.GetProperty("label").GetString(), expectedLabels));
        Assert.Equal("end", messages[^1].GetProperty("type").GetString());

        // read-only root file systems: nothing was written outside the volumes
        foreach (KubelessPod pod in new[] { prepare, trainer, predictor })
            Assert.Empty(Directory.EnumerateFileSystemEntries(pod.RootFs));
    }

    private static HealthCheckView? ModelCheck(string body) =>
        body.Length == 0 ? null : JsonSerializer.Deserialize<HealthView>(body, JsonSerializerOptions.Web)!.Checks.SingleOrDefault(c => c.Name == "model-loaded");

    private static int PortNamed(YamlNode container, string name) =>
        container["ports"].Items.Where(p => p["name"].Text == name).Select(p => p["containerPort"].Int).Single();

    /// <summary>Reads until <paramref name="done"/> or the timeout; the last value read (the caller asserts on it).</summary>
    private static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, CancellationToken cancel)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            T value = await read();
            if (done(value) || DateTime.UtcNow > until) return value;
            await Task.Delay(500, cancel);
        }
    }

    /// <summary>Copies one clip per speaker of each <see cref="SubsetLetters"/> emotion into CORPUS/wav; the file names.</summary>
    public static HashSet<string> CopySubset(string emodb, string corpus)
    {
        string wav = Directory.CreateDirectory(Path.Combine(corpus, "wav")).FullName;
        var chosen = Directory.EnumerateFiles(Path.Combine(emodb, "wav"), "*.wav").Select(Path.GetFileName).Order()
            .GroupBy(f => (Speaker: f![..2], Emotion: f[5])).Where(g => SubsetLetters.Contains(g.Key.Emotion)).Select(g => g.First()!).ToHashSet();
        foreach (string f in chosen) File.Copy(Path.Combine(emodb, "wav", f), Path.Combine(wav, f));
        return chosen;
    }

    private async Task<(int? Status, string Body)> ProbeUntil(KubelessPod pod, string container, string probe, Func<(int? Status, string Body), bool> done,
        TimeSpan timeout, CancellationToken cancel, Func<Task<string?>>? failure = null)
    {
        var until = DateTime.UtcNow + timeout;
        (int? Status, string Body) last = (null, "");
        while (DateTime.UtcNow < until)
        {
            last = await pod.Probe(container, probe, cancel);
            if (done(last)) return last;
            if (failure is not null && await failure() is { } why) throw new Xunit.Sdk.XunitException(why);
            await Task.Delay(1000, cancel);
        }
        throw new TimeoutException($"{pod.Name} {probe}: last answer {last.Status} {last.Body} after {timeout}");
    }

    private static async Task<List<JsonElement>> StreamAsync(string node, string token, AudioClip clip, CancellationToken cancel)
    {
        using var client = new StreamClient();
        await client.ConnectAsync(StreamClient.StreamUri(node), token, cancel);
        await client.StartAsync(clip.SampleRate, 1, "pcm16", null, cancel);
        var messages = new List<JsonElement>();
        var reader = Task.Run(async () =>
        {
            while (await client.ReceiveAsync(cancel) is { } x) lock (messages) messages.Add(x);
        }, cancel);
        byte[] pcm = StreamClient.Pcm16(clip.Samples);
        int frame = clip.SampleRate / 10 * 2;
        for (int at = 0; at < pcm.Length; at += frame)
            await client.SendAudioAsync(pcm.AsMemory(at, Math.Min(frame, pcm.Length - at)), cancel);
        await client.EndAsync(cancel);
        await reader.WaitAsync(TimeSpan.FromSeconds(60), cancel);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        return messages;
    }
}
