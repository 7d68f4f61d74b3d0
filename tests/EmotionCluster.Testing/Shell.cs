using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace EmotionCluster.Testing;

public sealed record ShellResult(int ExitCode, string StdOut, string StdErr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}

/// <summary>Runs a program to completion with captured output and a time limit (then the process tree is killed).</summary>
public static class Shell
{
    public static ShellResult Run(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null, string? missingHint = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        // The scripts under test read EmotionCluster__* variables: none leak in from the test host.
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("EmotionCluster__", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
            if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;

        using var process = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        try { process.Start(); }
        catch (Win32Exception e) when (missingHint is not null)
        {
            throw new InvalidOperationException($"cannot run '{file}': {e.Message}. {missingHint}", e);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        TimeSpan limit = timeout ?? TimeSpan.FromSeconds(30);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {limit}:\n{stdout}\n{stderr}");
        }
        process.WaitForExit(); // flush the redirected output
        return new ShellResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    public static ShellResult Bash(string script, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null) =>
        Run("bash", [script, .. args], environment, timeout);
}
