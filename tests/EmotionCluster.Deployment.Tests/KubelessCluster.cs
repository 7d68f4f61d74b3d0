using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using EmotionCluster.Hosting;
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
