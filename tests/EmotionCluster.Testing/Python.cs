using System.Diagnostics;

namespace EmotionCluster.Testing;

/// <summary>Debian's Python (<c>/usr/bin/python3</c>; python3-onnx and numpy from deploy/install-deps.sh) for tests that check our files with it.</summary>
public static class Python
{
    public const string Executable = "/usr/bin/python3";

    /// <summary>Runs <c>python3 -c CODE ARGS…</c>; a run longer than <paramref name="timeout"/> is killed and throws.</summary>
    public static (int Code, string Stdout, string Stderr) Run(string code, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(code);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"python did not finish in {timeout}: {code}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
