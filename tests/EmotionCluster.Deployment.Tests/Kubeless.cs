using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using EmotionCluster.Cluster;
using EmotionCluster.Testing;

namespace EmotionCluster.Deployment.Tests;

/// <summary>
/// A rendered overlay run without a Kubernetes server: each pod is started as local processes with the environment,
/// volumes and command the rendering gives it. What a kubelet, the image and the cluster network would provide is
/// mapped here, and only this:
/// <list type="bullet">
/// <item>Pod network: every pod gets its own loopback address (127.A.B.N) and binds the rendered ports on it
/// (4053, 8080, …, unchanged); <c>status.podIP</c> is that address, and a bind address of <c>0.0.0.0</c> (every
/// interface of the pod) becomes it.</item>
/// <item>Volumes: a PersistentVolumeClaim is one folder shared by every pod that mounts it; an emptyDir is a folder of
/// the pod; a Secret volume is a folder holding the rendered Secret's keys as files. Container paths in the
/// environment and the command line are rewritten to those folders (longest mount path first); <c>/tmp</c> becomes
/// TMPDIR.</item>
/// <item>Image: the entry point <c>/app/entrypoint.sh</c> (default command <c>run</c>) is docker/entrypoint.sh running
/// the built src/EmotionCluster.Node; <c>emotioncluster</c> is the built CLI (the image's /usr/local/bin wrapper);
/// <c>bash</c> is bash (docker/Dockerfile).</item>
/// <item>Service DNS: a connection string's <c>Host=SERVICE;Port=PORT</c> is resolved through the rendered Service
/// (its selector, port and targetPort) to the pod that backs it (<see cref="Backend"/> for one outside, e.g. a test
/// PostgreSQL).</item>
/// <item>Discovery: Kubernetes discovery needs the API server, so <c>EmotionCluster__Discovery__Method=kubernetes</c>
/// becomes <c>seed-nodes</c> with the remoting addresses of the node pods started so far, in start order, this one
/// last (the contact points bootstrap would find): the first node forms the cluster, the others join it, and a
/// restarted first node joins the running cluster again.</item>
/// </list>
/// </summary>
public sealed class KubelessCluster : IDisposable
{
    private readonly List<PodProcess> _processes = [];
    private readonly Dictionary<string, PodEndpoint> _endpoints = new(StringComparer.Ordinal); // workload name → pod
    private readonly string _subnet;
    private int _nextHost = 1;

    public Manifests Manifests { get; }
    public string Namespace { get; }
    public string Root { get; }
    public Action<string>? Log { get; init; }

    /// <summary>The remoting addresses of the node pods started so far, in start order: the seeds that replace Kubernetes discovery.</summary>
    public IReadOnlyList<string> NodeAddresses { get { lock (_processes) return [.. _nodeAddresses]; } }
    private readonly List<string> _nodeAddresses = [];

    public KubelessCluster(Manifests manifests, string root)
    {
        Manifests = manifests;
        Namespace = manifests.OfKind("Namespace").Single().Name;
        Root = root;
        // a random /24 of loopback for this run, so two runs on one machine do not meet
        _subnet = $"127.{Random.Shared.Next(100, 250)}.{Random.Shared.Next(1, 250)}.";
    }

    /// <summary>The folder of a PersistentVolumeClaim (it must be rendered).</summary>
    public string ClaimFolder(string claim)
    {
        if (!Manifests.OfKind("PersistentVolumeClaim").Any(c => c.Name == claim && c.Namespace == Namespace))
            throw new InvalidOperationException($"PersistentVolumeClaim {claim} is mounted but not rendered in {Namespace}");
        return Directory.CreateDirectory(Path.Combine(Root, "claims", claim)).FullName;
    }

    /// <summary>A pod of a Deployment or StatefulSet (<c>NAME-0</c>) or of a Job.</summary>
    public KubelessPod Pod(string kind, string name)
    {
        K8sObject owner = Manifests.Single(kind, name);
        string podName = kind == "StatefulSet" ? $"{name}-0" : $"{name}-{Random.Shared.Next(10000, 99999)}";
        string ip = _subnet + _nextHost++;
        var pod = new KubelessPod(this, owner, podName, ip);
        _endpoints[name] = new PodEndpoint(ip, port => port);
        return pod;
    }

    /// <summary>The pods of workload <paramref name="workload"/> are served by <paramref name="host"/>, its container ports mapped by <paramref name="port"/>.</summary>
    public void Backend(string workload, string host, Func<int, int> port) => _endpoints[workload] = new PodEndpoint(host, port);

    /// <summary>
    /// Where a connection to <paramref name="host"/>:<paramref name="port"/> goes: a Service name (short, with the
    /// namespace, or the full cluster.local name) and one of its ports, resolved through the Service's selector and
    /// targetPort to a container port of the pod that backs it.
    /// </summary>
    public (string Host, int Port) Resolve(string host, int port)
    {
        string[] parts = host.Split('.');
        bool qualified = parts.Length == 1 || (parts.Length >= 2 && parts[1] == Namespace &&
                                               (parts.Length == 2 || string.Join('.', parts[2..]) is "svc" or "svc.cluster.local"));
        K8sObject service = (qualified ? Manifests.OfKind("Service").SingleOrDefault(s => s.Name == parts[0] && s.Namespace == Namespace) : null)
                            ?? throw new InvalidOperationException($"'{host}' is not the DNS name of a Service in {Namespace} (have: {string.Join(", ", Manifests.OfKind("Service"))})");
        YamlNode servicePort = service.Spec["ports"].Items.SingleOrDefault(p => p["port"].Int == port);
        if (servicePort.IsMissing) throw new InvalidOperationException($"{service} has no port {port}");
        var selected = Manifests.Selected(service.Spec["selector"].StringMap, Namespace).ToList();
        Workload w = selected.Count == 1 ? selected[0] : throw new InvalidOperationException($"{service} selects {selected.Count} workloads: {string.Join(", ", selected)}");
        string target = servicePort["targetPort"].Text ?? port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        int containerPort = w.Containers.SelectMany(c => c["ports"].Items)
            .Where(p => p["name"].Text == target || p["containerPort"].Text == target).Select(p => p["containerPort"].Int).FirstOrDefault();
        if (containerPort == 0) throw new InvalidOperationException($"{service} port {port}: targetPort {target} is no container port of {w}");
        PodEndpoint endpoint = _endpoints.GetValueOrDefault(w.Owner.Name) ?? throw new InvalidOperationException($"{service} → {w}: no pod of it is running");
        return (endpoint.Host, endpoint.Port(containerPort));
    }

    internal void Started(PodProcess process, string? nodeAddress)
    {
        lock (_processes)
        {
            _processes.Add(process);
            if (nodeAddress is not null && !_nodeAddresses.Contains(nodeAddress)) _nodeAddresses.Add(nodeAddress);
        }
    }

    public void Dispose()
    {
        List<PodProcess> all;
        lock (_processes) all = [.. _processes];
        foreach (PodProcess p in all) p.Dispose();
    }

    private sealed record PodEndpoint(string Host, Func<int, int> Port);
}

/// <summary>One pod of the rendering: its address, folders and containers (see <see cref="KubelessCluster"/>).</summary>
public sealed class KubelessPod
{
    private readonly KubelessCluster _cluster;

    public K8sObject Owner { get; }
    public string Name { get; }
    public string Ip { get; }
    public YamlNode Spec => Owner.Node["spec"]["template"]["spec"];
    public string Folder { get; }
    /// <summary>The working directory: the image's root file system, which must stay empty where it is read-only.</summary>
    public string RootFs { get; }

    internal KubelessPod(KubelessCluster cluster, K8sObject owner, string name, string ip)
    {
        _cluster = cluster;
        Owner = owner;
        Name = name;
        Ip = ip;
        Folder = Directory.CreateDirectory(Path.Combine(cluster.Root, "pods", name)).FullName;
        RootFs = Directory.CreateDirectory(Path.Combine(Folder, "rootfs")).FullName;
    }

    public YamlNode Container(string name) =>
        Spec["containers"].Items.Concat(Spec["initContainers"].Items).SingleOrDefault(c => c["name"].Text == name) is { IsMissing: false } c
            ? c : throw new InvalidOperationException($"{Owner} has no container {name}");

    /// <summary>Mount path → folder, for each volume the container mounts.</summary>
    public IReadOnlyDictionary<string, string> Mounts(YamlNode container)
    {
        var mounts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (YamlNode m in container["volumeMounts"].Items)
        {
            string volumeName = m["name"].Text!;
            YamlNode volume = Spec["volumes"].Items.SingleOrDefault(v => v["name"].Text == volumeName);
            if (volume.IsMissing) throw new InvalidOperationException($"{Owner} container {container["name"].Text} mounts volume {volumeName}, which the pod does not have");
            string folder;
            if (volume["persistentVolumeClaim"]["claimName"].Text is { } claim) folder = _cluster.ClaimFolder(claim);
            else if (!volume["emptyDir"].IsMissing) folder = Directory.CreateDirectory(Path.Combine(Folder, "volumes", volumeName)).FullName;
            else if (volume["secret"]["secretName"].Text is { } secret) folder = SecretFolder(volumeName, secret, volume["secret"]);
            else throw new InvalidOperationException($"{Owner} volume {volumeName}: only persistentVolumeClaim, emptyDir and secret volumes are mapped");
            if (m["subPath"].Text is { Length: > 0 } sub) folder = Directory.CreateDirectory(Path.Combine(folder, sub)).FullName;
            mounts[m["mountPath"].Text!.TrimEnd('/')] = folder;
        }
        return mounts;
    }

    private string SecretFolder(string volumeName, string secret, YamlNode source)
    {
        var data = _cluster.Manifests.SecretBytes(secret, _cluster.Namespace)
                   ?? throw new InvalidOperationException($"{Owner} mounts Secret {secret}, which the rendering does not have");
        string folder = Directory.CreateDirectory(Path.Combine(Folder, "volumes", volumeName)).FullName;
        var items = source["items"].Items.ToList();
        var files = items.Count == 0
            ? data.Select(kv => (File: kv.Key, Bytes: kv.Value))
            : items.Select(i => (File: i["path"].Text!, Bytes: data.TryGetValue(i["key"].Text!, out byte[]? b) ? b
                : throw new InvalidOperationException($"Secret {secret} has no key {i["key"].Text}")));
        foreach (var (file, bytes) in files)
            File.WriteAllBytes(Path.Combine(folder, file), bytes);
        return folder;
    }

    /// <summary>Every container path under a mount point in <paramref name="text"/> rewritten to the mount's folder.</summary>
    public static string MapPaths(string text, IReadOnlyDictionary<string, string> mounts)
    {
        if (mounts.Count == 0) return text;
        // one pass, longest mount path first: a folder put in never matches again (the folders are under /tmp too)
        string alternatives = string.Join('|', mounts.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape));
        return Regex.Replace(text, $@"(?<![\w./-])(?:{alternatives})(?=/|$|[^\w.-])", m => mounts[m.Value]);
    }

    /// <summary>The command line and environment the container would start with, mapped to this machine.</summary>
    public (string File, List<string> Args, Dictionary<string, string> Env) Command(YamlNode container)
    {
        var mounts = Mounts(container);
        var env = _cluster.Manifests.Environment(container, _cluster.Namespace, Ip);
        foreach (string key in env.Keys.ToList())
        {
            string value = MapPaths(env[key], mounts);
            if (value == "0.0.0.0") value = Ip; // every interface of the pod: its own address
            env[key] = ResolveServices(value);
        }
        if (env.GetValueOrDefault("EmotionCluster__Discovery__Method") == DiscoverySettings.KubernetesMethod)
        {
            env["EmotionCluster__Discovery__Method"] = DiscoverySettings.SeedNodesMethod;
            string self = SelfAddress(container, env);
            var seeds = _cluster.NodeAddresses.Where(a => a != self).Append(self).ToList();
            if (_cluster.NodeAddresses.FirstOrDefault() == self) seeds = [self, .. seeds.Where(a => a != self)]; // a restarted first node
            for (int i = 0; i < seeds.Count; i++) env[$"EmotionCluster__Node__SeedNodes__{i}"] = seeds[i];
        }
        if (mounts.TryGetValue("/tmp", out string? tmp)) env["TMPDIR"] = tmp;
        env["HOME"] = Directory.CreateDirectory(Path.Combine(Folder, "home")).FullName;

        string image = container["image"].Text ?? "";
        if (image.Split(':')[0] is not ("emotioncluster-node" or "emotioncluster-node-cuda"))
            throw new InvalidOperationException($"{Owner} container {container["name"].Text}: image {image} has no local mapping");
        var command = container["command"].Items.Select(i => MapPaths(i.Text!, mounts)).ToList();
        var args = container["args"].Items.Select(i => MapPaths(i.Text!, mounts)).ToList();
        if (command.Count == 0)
        {
            // ENTRYPOINT ["/app/entrypoint.sh"], CMD ["run"]: the entry point execs the node
            env["EMOTIONCLUSTER_NODE_DLL"] = NodeProcess.NodeDll;
            return ("bash", [Path.Combine(Datasets.RepoRoot, "docker", "entrypoint.sh"), .. args.Count == 0 ? ["run"] : args], env);
        }
        return command[0] switch
        {
            // /usr/local/bin/emotioncluster: exec dotnet /app/cli/emotioncluster.dll "$@"
            "emotioncluster" => ("dotnet", [CliDll, .. command[1..], .. args], env),
            "bash" or "sh" => (command[0], [.. command[1..], .. args], env),
            _ => throw new InvalidOperationException($"{Owner} container {container["name"].Text}: command {command[0]} has no local mapping"),
        };
    }

    public static string CliDll => BuildOutput.Require(Path.Combine("src", "EmotionCluster.Cli"), "emotioncluster.dll");

    private string SelfAddress(YamlNode container, IReadOnlyDictionary<string, string> env)
    {
        int port = container["ports"].Items.Where(p => p["name"].Text == "remoting").Select(p => p["containerPort"].Int).SingleOrDefault();
        if (port == 0) throw new InvalidOperationException($"{Owner}: a node container without a port named remoting cannot be a seed of Kubernetes discovery's stand-in");
        if (env.GetValueOrDefault("EmotionCluster__Node__Port") != port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw new InvalidOperationException($"{Owner}: EmotionCluster__Node__Port {env.GetValueOrDefault("EmotionCluster__Node__Port")} is not the remoting container port {port}");
        return $"akka.tcp://{new NodeSettings().ActorSystemName}@{Ip}:{port}";
    }

    /// <summary>An ADO.NET connection string's Host and Port, resolved as Service DNS (other values are left alone).</summary>
    private string ResolveServices(string value)
    {
        if (!value.Contains("Host=", StringComparison.OrdinalIgnoreCase) || !value.Contains(';')) return value;
        var builder = new DbConnectionStringBuilder { ConnectionString = value };
        if (!builder.TryGetValue("Host", out object? host) || !builder.TryGetValue("Port", out object? port)) return value;
        var (h, p) = _cluster.Resolve((string)host, int.Parse((string)port, System.Globalization.CultureInfo.InvariantCulture));
        builder["Host"] = h;
        builder["Port"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return builder.ConnectionString;
    }

    /// <summary>Starts a container as a local process (an init container too, by name).</summary>
    public PodProcess Start(string containerName, IReadOnlyDictionary<string, string>? documentedOverrides = null)
    {
        YamlNode container = Container(containerName);
        var (file, args, env) = Command(container);
        foreach (var (k, v) in documentedOverrides ?? new Dictionary<string, string>()) env[k] = v;
        foreach (YamlNode p in container["ports"].Items) EnsureFree(p["containerPort"].Int);
        string? address = env.ContainsKey("EmotionCluster__Node__SeedNodes__0") ? SelfAddress(container, env) : null;
        var process = PodProcess.Start($"{Name}/{containerName}", file, args, env, RootFs, _cluster.Log);
        _cluster.Started(process, address);
        return process;
    }

    private void EnsureFree(int port)
    {
        try
        {
            var probe = new TcpListener(IPAddress.Parse(Ip), port);
            probe.Start();
            probe.Stop();
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException($"{Name}: port {port} on {Ip} is taken ({e.SocketErrorCode}); a process bound to 0.0.0.0:{port} blocks the pod's port");
        }
    }

    /// <summary>The container's probe (e.g. readinessProbe) sent as the kubelet sends it: status and body, or (null, "") when nothing answers.</summary>
    public async Task<(int? Status, string Body)> Probe(string containerName, string probe, CancellationToken cancel)
    {
        YamlNode container = Container(containerName);
        YamlNode get = container[probe]["httpGet"];
        if (get.IsMissing) throw new InvalidOperationException($"{Owner} container {containerName} has no {probe} httpGet");
        string port = get["port"].Text!;
        int number = int.TryParse(port, out int n) ? n
            : container["ports"].Items.Where(p => p["name"].Text == port).Select(p => p["containerPort"].Int).SingleOrDefault();
        if (number == 0) throw new InvalidOperationException($"{Owner} container {containerName}: {probe} port {port} is no container port");
        int timeout = container[probe]["timeoutSeconds"].Text is { } t ? int.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : 1;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(timeout) };
        try
        {
            using HttpResponseMessage response = await http.GetAsync($"http://{Ip}:{number}{get["path"].Text}", cancel);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancel));
        }
        catch (HttpRequestException) { return (null, ""); }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested) { return (null, ""); }
    }
}

/// <summary>A container's process, its output kept line by line.</summary>
public sealed class PodProcess : ChildProcess
{
    private PodProcess(string name, ProcessStartInfo startInfo, Action<string>? log) : base(name, startInfo, log) { }

    public static PodProcess Start(string name, string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, string workingDirectory, Action<string>? log)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory };
        foreach (string a in args) psi.ArgumentList.Add(a);
        // the container's environment only: nothing of the test host's own settings leaks in
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("EmotionCluster__", StringComparison.OrdinalIgnoreCase) ||
                                                              k.StartsWith("EMOTIONCLUSTER_", StringComparison.Ordinal) ||
                                                              k.StartsWith("KUBERNETES_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var pod = new PodProcess(name, psi, log);
        log?.Invoke($"[{name}] started: {file} {string.Join(' ', args)}");
        return pod;
    }
}
