using EmotionCluster.Hosting;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Deployment.Tests;

/// <summary>docker/Dockerfile and docker/Dockerfile.cuda read as instructions (no Docker engine here to build them).</summary>
public sealed class DockerfileTests
{
    public static TheoryData<string> Dockerfiles => new() { "Dockerfile", "Dockerfile.cuda" };

    private static string DockerDir => Path.Combine(Datasets.RepoRoot, "docker");

    /// <summary>(INSTRUCTION, arguments) with continuation lines joined and comments dropped.</summary>
    public static List<(string Instruction, string Args)> Instructions(string dockerfile)
    {
        var result = new List<(string, string)>();
        string pending = "";
        foreach (string raw in File.ReadAllLines(Path.Combine(DockerDir, dockerfile)))
        {
            string line = raw.Trim();
            if (line.StartsWith('#') || line.Length == 0) continue;
            if (line.EndsWith('\\')) { pending += line[..^1] + " "; continue; }
            line = pending + line;
            pending = "";
            int space = line.IndexOf(' ');
            result.Add((line[..space].ToUpperInvariant(), line[(space + 1)..].Trim()));
        }
        return result;
    }

    private static Dictionary<string, string> Env(string dockerfile) =>
        Instructions(dockerfile).Where(i => i.Instruction == "ENV")
            .SelectMany(i => i.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(pair => pair.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    [Theory, MemberData(nameof(Dockerfiles))]
    public void Exposes_the_remoting_http_and_management_ports_the_settings_use(string dockerfile)
    {
        var exposed = Instructions(dockerfile).Where(i => i.Instruction == "EXPOSE")
            .SelectMany(i => i.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse).Order().ToList();
        BoundSettings s = SettingsNames.Bind(Env(dockerfile));
        Assert.Equal(4053, s.Node.Port); // NodeSettings.Port defaults to 0: the image must pin it
        Assert.Equal(new HttpSettings().Port, s.Http.Port);
        Assert.Equal(new DiscoverySettings().ManagementPort, s.Discovery.ManagementPort);
        Assert.Equal(new[] { s.Node.Port, s.Http.Port, s.Discovery.ManagementPort }.Order(), exposed);
        Assert.Equal("0.0.0.0", s.Node.Hostname);
        Assert.Equal("0.0.0.0", s.Http.Hostname);
        Assert.Null(Record.Exception(s.Node.Validate));
    }

    [Theory, MemberData(nameof(Dockerfiles))]
    public void Every_EmotionCluster_variable_names_a_setting(string dockerfile)
    {
        var problems = SettingsNames.Problems(Env(dockerfile).Keys, dockerfile);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory, MemberData(nameof(Dockerfiles))]
    public void Runs_as_uid_10001_with_a_health_check_and_the_node_entry_point(string dockerfile)
    {
        var ins = Instructions(dockerfile);
        Assert.Equal("${APP_UID}:${APP_UID}", ins.Last(i => i.Instruction == "USER").Args);
        Assert.Contains(ins, i => i.Instruction == "ARG" && i.Args == "APP_UID=10001");
        Assert.Equal("""CMD ["/app/healthcheck.sh", "live"]""", ins.Single(i => i.Instruction == "HEALTHCHECK").Args.Split(' ', 5)[4]);
        Assert.Equal("""["/app/entrypoint.sh"]""", ins.Single(i => i.Instruction == "ENTRYPOINT").Args);
        Assert.Contains(ins, i => i.Instruction == "COPY" && i.Args.Contains("docker/entrypoint.sh docker/healthcheck.sh ./"));
        Assert.Equal("/app", ins.Last(i => i.Instruction == "WORKDIR").Args);
        Assert.Contains(ins, i => i.Instruction == "VOLUME" && i.Args == """["/data"]""");
        Assert.StartsWith("/data/", Env(dockerfile)["EmotionCluster__Node__FeatureStorePath"]);
        var froms = ins.Where(i => i.Instruction == "FROM").Select(i => i.Args).ToList();
        Assert.Equal(dockerfile == "Dockerfile"
                ? ["mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build", "mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build-predictor",
                   "mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS base", "base AS predictor", "base AS runtime"]
                : ["mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build", "mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime"],
            froms);
        Assert.EndsWith("AS runtime", froms[^1]); // the default target is the full image
        var publish = ins.First(i => i.Instruction == "RUN" && i.Args.Contains("dotnet publish")).Args;
        Assert.Contains("dotnet publish src/EmotionCluster.Node/EmotionCluster.Node.csproj -c Release -r linux-x64 --self-contained false -o /app ", publish);
        Assert.Contains("dotnet publish src/EmotionCluster.Cli/EmotionCluster.Cli.csproj -c Release -r linux-x64 --self-contained false -o /app/cli", publish);
        Assert.True(File.Exists(Path.Combine(Datasets.RepoRoot, "src", "EmotionCluster.Node", "EmotionCluster.Node.csproj")));
        Assert.True(File.Exists(Path.Combine(Datasets.RepoRoot, "src", "EmotionCluster.Cli", "EmotionCluster.Cli.csproj")));
    }

    [Theory, MemberData(nameof(Dockerfiles))]
    public void The_build_context_keeps_sources_and_drops_build_output(string dockerfile)
    {
        // BuildKit reads docker/<Dockerfile>.dockerignore; the context is the repository root.
        var ignored = File.ReadAllLines(Path.Combine(DockerDir, dockerfile + ".dockerignore"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.Contains(".git", ignored);
        foreach (var (_, args) in Instructions(dockerfile).Where(i => i.Instruction == "COPY" && !i.Args.StartsWith("--from")))
            foreach (string source in args.Split(' ').Where(a => !a.StartsWith("--")).ToArray()[..^1])
            {
                string top = source.TrimEnd('/').Split('/')[0];
                Assert.DoesNotContain(ignored, pattern => pattern.TrimEnd('/') == top);
                Assert.True(File.Exists(Path.Combine(Datasets.RepoRoot, source)) || Directory.Exists(Path.Combine(Datasets.RepoRoot, source)),
                    $"{dockerfile} copies {source}, which the repository lacks");
            }
    }

    /// <summary>The predictor target: the node published without libtorch (and checked for it), role predictor, ONNX Runtime.</summary>
    [Fact]
    public void The_predictor_target_publishes_the_node_without_libtorch()
    {
        var ins = Instructions("Dockerfile");
        int stage = ins.FindIndex(i => i.Instruction == "FROM" && i.Args.EndsWith("AS build-predictor"));
        string publish = ins.Skip(stage).First(i => i.Instruction == "RUN" && i.Args.Contains("dotnet publish")).Args;
        Assert.Contains("dotnet publish src/EmotionCluster.Node/EmotionCluster.Node.csproj -c Release -r linux-x64 --self-contained false -p:LibTorch=false -o /app", publish);
        Assert.Contains("! find /app -name 'libtorch*'", publish);
        Assert.DoesNotContain("EmotionCluster.Cli", publish);
        // the property the publish sets is the one the model project switches on
        string modelProject = File.ReadAllText(Path.Combine(Datasets.RepoRoot, "src", "EmotionCluster.Model", "EmotionCluster.Model.csproj"));
        Assert.Contains("""<PackageReference Include="TorchSharp" Condition="'$(LibTorch)' == 'false'" />""", modelProject);
        Assert.Contains("""<PackageReference Include="TorchSharp-cpu" Condition="'$(LibTorch)' != 'false'" />""", modelProject);
        int predictor = ins.FindIndex(i => i.Instruction == "FROM" && i.Args == "base AS predictor");
        var predictorStage = ins.Skip(predictor + 1).TakeWhile(i => i.Instruction != "FROM").ToList();
        Assert.Contains(predictorStage, i => i.Instruction == "COPY" && i.Args == "--from=build-predictor /app ./");
        var env = predictorStage.Where(i => i.Instruction == "ENV").SelectMany(i => i.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Contains("EmotionCluster__Streaming__Runtime=onnx", env);
        Assert.Contains("EmotionCluster__Node__Roles__0=predictor", env);
    }

    /// <summary>The full images' dedupe step, run with bash on fake publish folders: identical files become links to the node's copy.</summary>
    [Theory, MemberData(nameof(Dockerfiles))]
    public void The_full_image_keeps_one_copy_of_each_file_the_node_and_the_cli_share(string dockerfile)
    {
        string step = Instructions(dockerfile).Single(i => i.Instruction == "RUN" && i.Args.Contains("ln -sf")).Args;
        string root = Path.Combine(Path.GetTempPath(), "ec-dedupe-" + Guid.NewGuid().ToString("N"));
        try
        {
            string app = Path.Combine(root, "app"), cli = Path.Combine(app, "cli");
            string native = Path.Combine("runtimes", "linux-x64", "native");
            Directory.CreateDirectory(Path.Combine(cli, native));
            Directory.CreateDirectory(Path.Combine(app, native));
            File.WriteAllText(Path.Combine(app, "libtorch_cpu.so"), "libtorch");
            File.WriteAllText(Path.Combine(cli, "libtorch_cpu.so"), "libtorch");
            File.WriteAllText(Path.Combine(app, native, "libonnxruntime.so"), "ort");
            File.WriteAllText(Path.Combine(cli, native, "libonnxruntime.so"), "ort");
            File.WriteAllText(Path.Combine(app, "appsettings.json"), "node");
            File.WriteAllText(Path.Combine(cli, "appsettings.json"), "cli"); // differs: kept
            File.WriteAllText(Path.Combine(cli, "emotioncluster.dll"), "cli only"); // the node lacks it: kept
            // the step with /app pointing at the fake folder
            var result = Shell.Run("bash", ["-euc", step.Replace("/app", app)], new Dictionary<string, string?>(), workingDirectory: root);
            Assert.True(result.ExitCode == 0, $"the dedupe step failed: {result}");
            Assert.Equal(Path.Combine(app, "libtorch_cpu.so"), new FileInfo(Path.Combine(cli, "libtorch_cpu.so")).LinkTarget);
            Assert.Equal(Path.Combine(app, native, "libonnxruntime.so"), new FileInfo(Path.Combine(cli, native, "libonnxruntime.so")).LinkTarget);
            Assert.Equal("libtorch", File.ReadAllText(Path.Combine(cli, "libtorch_cpu.so")));
            Assert.Null(new FileInfo(Path.Combine(cli, "appsettings.json")).LinkTarget);
            Assert.Equal("cli", File.ReadAllText(Path.Combine(cli, "appsettings.json")));
            Assert.Null(new FileInfo(Path.Combine(cli, "emotioncluster.dll")).LinkTarget);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The package swap of Dockerfile.cuda, run with bash on copies of the current files.</summary>
    [Fact]
    public void The_cuda_build_swaps_the_torch_package_in_the_current_sources()
    {
        var ins = Instructions("Dockerfile.cuda");
        string swap = ins.Single(i => i.Instruction == "RUN" && i.Args.Contains("sed -i")).Args;
        var args = ins.Where(i => i.Instruction == "ARG" && i.Args.StartsWith("TORCH_")).Select(i => i.Args.Split('=', 2))
            .ToDictionary(p => p[0], p => (string?)p[1]);
        Assert.Equal("TorchSharp-cuda-linux", args["TORCH_PACKAGE"]);
        // The CUDA build follows the TorchSharp version the sources are written against.
        string cpuVersion = System.Text.RegularExpressions.Regex.Match(
            File.ReadAllText(Path.Combine(Datasets.RepoRoot, "Directory.Packages.props")),
            "<PackageVersion Include=\"TorchSharp-cpu\" Version=\"([^\"]+)\"").Groups[1].Value;
        Assert.Equal(cpuVersion, args["TORCH_VERSION"]);

        string dir = Path.Combine(Path.GetTempPath(), "ec-cuda-swap-" + Guid.NewGuid().ToString("N"));
        string model = Path.Combine("src", "EmotionCluster.Model", "EmotionCluster.Model.csproj");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "src", "EmotionCluster.Model"));
            File.Copy(Path.Combine(Datasets.RepoRoot, "Directory.Packages.props"), Path.Combine(dir, "Directory.Packages.props"));
            File.Copy(Path.Combine(Datasets.RepoRoot, model), Path.Combine(dir, model));
            var result = Shell.Run("bash", ["-euc", swap], args, workingDirectory: dir);
            Assert.True(result.ExitCode == 0, $"the swap step fails on the current sources: {result}");
            string props = File.ReadAllText(Path.Combine(dir, "Directory.Packages.props"));
            Assert.Contains($"""<PackageVersion Include="TorchSharp-cuda-linux" Version="{cpuVersion}" />""", props);
            Assert.DoesNotContain("TorchSharp-cpu", props);
            // the default reference (LibTorch unset) is swapped; the managed-only one of -p:LibTorch=false stays
            Assert.Contains("""<PackageReference Include="TorchSharp-cuda-linux" Condition="'$(LibTorch)' != 'false'" />""", File.ReadAllText(Path.Combine(dir, model)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
