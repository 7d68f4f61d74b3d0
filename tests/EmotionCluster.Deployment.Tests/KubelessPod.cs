using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using EmotionCluster.Hosting;
using EmotionCluster.Testing;

namespace EmotionCluster.Deployment.Tests;

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
