using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using EmotionCluster.Hosting;
using EmotionCluster.Testing;

namespace EmotionCluster.Deployment.Tests;

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
