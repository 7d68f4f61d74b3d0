using System.Collections.Concurrent;
using System.Text;
using EmotionCluster.Testing;

namespace EmotionCluster.Deployment.Tests;

/// <summary>
/// Renders a kustomization with <c>kubectl kustomize</c> (the kubectl on PATH, or EMOTIONCLUSTER_KUBECTL) and gives
/// the objects. Debian 12's kubernetes-client (kubectl 1.20, kustomize v2.0.3) is the oldest this must work with.
/// </summary>
public static class Kustomize
{
    public const string KubectlVariable = "EMOTIONCLUSTER_KUBECTL";

    private static readonly ConcurrentDictionary<string, Lazy<Manifests>> Cache = new();

    public static string Kubectl => Environment.GetEnvironmentVariable(KubectlVariable) is { Length: > 0 } k ? k : "kubectl";

    /// <summary>The rendering of k8s/overlays/<paramref name="overlay"/> (rendered once per test run).</summary>
    public static Manifests Overlay(string overlay) =>
        Cache.GetOrAdd(overlay, o => new Lazy<Manifests>(() => Render(Path.Combine(Datasets.RepoRoot, "k8s", "overlays", o)))).Value;

    public static Manifests Render(string directory)
    {
        var result = Shell.Run(Kubectl, ["kustomize", directory], timeout: TimeSpan.FromSeconds(60), missingHint:
            $"kubectl is needed to render the Kubernetes manifests: install Debian's kubernetes-client " +
            $"(bash deploy/install-deps.sh kubernetes-client) or set {KubectlVariable} to a kubectl binary");
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{Kubectl} kustomize {directory} failed ({result.ExitCode}):\n{result.StdErr}");
        return new Manifests(YamlNode.ParseAll(result.StdOut).Select(d => new K8sObject(d)).ToList());
    }
}

public sealed record K8sObject(YamlNode Node)
{
    public string Kind => Node["kind"].Text ?? "";
    public string Name => Node["metadata"]["name"].Text ?? "";
    public string? Namespace => Node["metadata"]["namespace"].Text;
    public YamlNode Spec => Node["spec"];
    public override string ToString() => $"{Kind}/{Name}";
}

/// <summary>A pod template of a Deployment or StatefulSet, with what the checks need to know about it.</summary>
public sealed record Workload(K8sObject Owner)
{
    public YamlNode Template => Owner.Spec["template"];
    public IReadOnlyDictionary<string, string> Labels => Template["metadata"]["labels"].StringMap;
    public YamlNode PodSpec => Template["spec"];
    public IEnumerable<YamlNode> Containers => PodSpec["containers"].Items;
    public string? Namespace => Owner.Namespace;
    public override string ToString() => Owner.ToString();
}
