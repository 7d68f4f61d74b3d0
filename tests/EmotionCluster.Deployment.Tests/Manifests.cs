using System.Collections.Concurrent;
using System.Text;
using EmotionCluster.Testing;

namespace EmotionCluster.Deployment.Tests;

public sealed class Manifests(List<K8sObject> objects)
{
    public IReadOnlyList<K8sObject> Objects => objects;

    public IEnumerable<K8sObject> OfKind(string kind) => objects.Where(o => o.Kind == kind);

    public K8sObject Single(string kind, string name) =>
        objects.SingleOrDefault(o => o.Kind == kind && o.Name == name)
        ?? throw new InvalidOperationException($"no {kind}/{name} in the rendering (have: {string.Join(", ", objects)})");

    public IEnumerable<Workload> Workloads =>
        objects.Where(o => o.Kind is "Deployment" or "StatefulSet").Select(o => new Workload(o));

    /// <summary>Every workload whose pods run a cluster node: a container with the management port that discovery contacts.</summary>
    public IEnumerable<Workload> NodeWorkloads(string managementPortName) =>
        Workloads.Where(w => w.Containers.Any(c => c["ports"].Items.Any(p => p["name"].Text == managementPortName)));

    public static YamlNode NodeContainer(Workload w) => w.Containers.Single(c => c["name"].Text == "node");

    /// <summary>
    /// The environment a container starts with: envFrom ConfigMaps/Secrets, then env in order, with
    /// <c>$(VAR)</c> expanded as the kubelet does. The pod IP is <paramref name="podIp"/>; a secret the rendering lacks reads "secret:NAME/KEY".
    /// </summary>
    public Dictionary<string, string> Environment(Workload w, YamlNode container, string podIp = "10.0.0.1") =>
        Environment(container, w.Namespace, podIp);

    /// <summary>The environment of <paramref name="container"/> of a pod in <paramref name="ns"/> (a Job's pod too).</summary>
    public Dictionary<string, string> Environment(YamlNode container, string? ns, string podIp = "10.0.0.1")
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (YamlNode from in container["envFrom"].Items)
        {
            if (from["configMapRef"]["name"].Text is { } cm)
                foreach (var (k, v) in ConfigMapData(cm, ns)) env[k] = v;
            if (from["secretRef"]["name"].Text is { } s)
                foreach (var (k, v) in SecretData(s, ns) ?? new Dictionary<string, string>()) env[k] = v;
        }
        foreach (YamlNode e in container["env"].Items)
        {
            string name = e["name"].Text!;
            YamlNode from = e["valueFrom"];
            env[name] =
                !from["fieldRef"].IsMissing ? from["fieldRef"]["fieldPath"].Text == "status.podIP" ? podIp : $"field:{from["fieldRef"]["fieldPath"].Text}"
                : !from["secretKeyRef"].IsMissing ? SecretValue(from["secretKeyRef"]["name"].Text!, from["secretKeyRef"]["key"].Text!, ns)
                : !from["configMapKeyRef"].IsMissing ? ConfigMapData(from["configMapKeyRef"]["name"].Text!, ns)[from["configMapKeyRef"]["key"].Text!]
                : !from["resourceFieldRef"].IsMissing ? ResourceValue(container, from["resourceFieldRef"])
                : Expand(e["value"].Text ?? "", env);
        }
        return env;
    }

    /// <summary>
    /// A <c>resourceFieldRef</c> as the kubelet resolves it for <c>limits.cpu</c>/<c>requests.cpu</c> with divisor 1: the
    /// container's value in whole cores, rounded up ("500m" → 1). A limit the container does not set is an error here
    /// (the kubelet would give the node's allocatable CPU: the host's cores, which is what the variable is meant to avoid).
    /// </summary>
    private static string ResourceValue(YamlNode container, YamlNode field)
    {
        string[] resource = field["resource"].Text!.Split('.');
        string? value = container["resources"][resource[0]][resource[1]].Text;
        if (value is null) throw new InvalidOperationException($"resourceFieldRef {field["resource"].Text}: container {container["name"].Text} sets no {resource[0]} {resource[1]}");
        if (field["divisor"].Text is { } divisor && divisor != "1") throw new InvalidOperationException($"resourceFieldRef divisor {divisor}: only 1 is modelled");
        double cores = value.EndsWith('m') ? double.Parse(value[..^1], System.Globalization.CultureInfo.InvariantCulture) / 1000 : double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        return ((int)Math.Ceiling(cores)).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public IReadOnlyDictionary<string, string> ConfigMapData(string name, string? ns) =>
        objects.SingleOrDefault(o => o.Kind == "ConfigMap" && o.Name == name && o.Namespace == ns)?.Node["data"].StringMap
        ?? throw new InvalidOperationException($"ConfigMap {name} (namespace {ns}) is referenced but not rendered");

    /// <summary>The decoded data of a rendered Secret, or null when the rendering has none of that name.</summary>
    public IReadOnlyDictionary<string, string>? SecretData(string name, string? ns) =>
        objects.SingleOrDefault(o => o.Kind == "Secret" && o.Name == name && o.Namespace == ns)?.Node["data"].Entries
            .ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetString(Convert.FromBase64String(kv.Value.Text ?? "")));

    /// <summary>The raw bytes of each key of a rendered Secret (a certificate is binary), or null when the rendering has none of that name.</summary>
    public IReadOnlyDictionary<string, byte[]>? SecretBytes(string name, string? ns) =>
        objects.SingleOrDefault(o => o.Kind == "Secret" && o.Name == name && o.Namespace == ns)?.Node["data"].Entries
            .ToDictionary(kv => kv.Key, kv => Convert.FromBase64String(kv.Value.Text ?? ""));

    private string SecretValue(string name, string key, string? ns) =>
        SecretData(name, ns) is { } data
            ? data.TryGetValue(key, out string? v) ? v : throw new InvalidOperationException($"Secret {name} has no key {key}")
            : $"secret:{name}/{key}";

    /// <summary>Kubernetes dependent variables: $(NAME) of an earlier variable is replaced, $$ escapes.</summary>
    public static string Expand(string value, IReadOnlyDictionary<string, string> earlier) =>
        System.Text.RegularExpressions.Regex.Replace(value, @"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)",
            m => m.Value == "$$" ? "$" : earlier.TryGetValue(m.Groups[1].Value, out string? v) ? v : m.Value);

    /// <summary>Pods of the workloads whose labels include every pair of <paramref name="selector"/>, in <paramref name="ns"/>.</summary>
    public IEnumerable<Workload> Selected(IReadOnlyDictionary<string, string> selector, string? ns) =>
        Workloads.Where(w => w.Namespace == ns && selector.Count > 0 &&
                             selector.All(kv => w.Labels.TryGetValue(kv.Key, out string? v) && v == kv.Value));
}
