using System.Diagnostics;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Cli.Tests;

/// <summary>
/// Shell completion: what <c>[suggest:POS]</c> answers for emotioncluster's commands and ctl's verbs, and the script of
/// <c>completion bash</c> loaded into a real bash, completing through the built CLI as a user's TAB would.
/// </summary>
public sealed class CompletionTests : IDisposable
{
    private readonly TempDir _dir = new("ec-completion-");

    public void Dispose() => _dir.Dispose();

    /// <summary>The suggestions for the command line <paramref name="line"/> with the cursor at its end.</summary>
    private static string[] Suggest(string line)
    {
        var (code, output, error) = InProcessCli.Run($"[suggest:{line.Length}]", line);
        Assert.True(code == 0, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    [Fact]
    public void The_suggest_directive_lists_the_commands_and_ctl_verbs()
    {
        string[] root = Suggest("emotioncluster ");
        foreach (string command in new[] { "run", "train", "crossval", "evaluate", "predict", "report", "dataset", "ctl", "stream", "export", "runs", "completion" })
            Assert.Contains(command, root);
        Assert.Equal(["actor", "cluster", "log", "remote", "runs", "train"], Suggest("emotioncluster ctl ").Where(s => !s.StartsWith('-') && !s.StartsWith('/')));
        Assert.Equal(["down", "down-unreachable", "join", "leave", "sharding", "show", "tail"],
            Suggest("emotioncluster ctl --node http://127.0.0.1:8080 cluster ").Where(s => !s.StartsWith('-') && !s.StartsWith('/')));
        Assert.Contains("connections", Suggest("emotioncluster ctl remote "));
        Assert.Contains("--follow", Suggest("emotioncluster ctl log peek --"));
    }

    [Fact]
    public void The_bash_script_completes_commands_verbs_and_options_in_bash()
    {
        var (code, script, error) = InProcessCli.Run("completion", "bash");
        Assert.True(code == 0, error);
        Assert.Contains("complete -o bashdefault -o default -F _emotioncluster_complete emotioncluster", script);
        File.WriteAllText(_dir.File("emotioncluster.bash"), script);

        // "emotioncluster" on PATH: the built CLI
        string cli = BuildOutput.Require(Path.Combine("src", "EmotionCluster.Cli"), "emotioncluster.dll");
        string bin = Directory.CreateDirectory(_dir.File("bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "emotioncluster"), $"#!/bin/sh\nexec dotnet '{cli}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(bin, "emotioncluster"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        Assert.Equal(["ctl"], Complete(bin, "emotioncluster ct"));
        Assert.Equal(["evaluate", "export"], Complete(bin, "emotioncluster e"));
        Assert.Equal(["connections"], Complete(bin, "emotioncluster ctl remote c"));
        Assert.Equal(["down", "down-unreachable"], Complete(bin, "emotioncluster ctl --json cluster do"));
        Assert.Equal(["--follow"], Complete(bin, "emotioncluster ctl log peek --fo"));
    }

    /// <summary>COMPREPLY of the script's function for <paramref name="line"/> with the cursor at its end, in bash.</summary>
    private string[] Complete(string bin, string line)
    {
        string words = string.Join(' ', line.Split(' ').Select(w => $"'{w}'"));
        string probe = $"""
            source '{_dir.File("emotioncluster.bash")}'
            COMP_LINE='{line}'
            COMP_POINT=${"{#COMP_LINE}"}
            COMP_WORDS=({words})
            COMP_CWORD=$(( ${"{#COMP_WORDS[@]}"} - 1 ))
            _emotioncluster_complete
            printf '%s\n' "${"{COMPREPLY[@]}"}"
            """;
        var psi = new ProcessStartInfo("bash", ["--norc", "--noprofile", "-c", probe]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        using var bash = Process.Start(psi)!;
        string output = bash.StandardOutput.ReadToEnd(), error = bash.StandardError.ReadToEnd();
        bash.WaitForExit();
        Assert.True(bash.ExitCode == 0, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
