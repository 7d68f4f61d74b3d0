using Akka.Actor;
using Akka.Hosting;
using EmotionCluster.Cluster;
using EmotionCluster.Extraction;
using EmotionCluster.Node;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

NodeArguments cli;
try { cli = NodeArguments.Parse(args); }
catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
if (cli.Options.ContainsKey("--help")) { Console.WriteLine(NodeArguments.Usage); return 0; }

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
if (cli.Options.TryGetValue("--config", out string? configFile))
{
    if (!File.Exists(configFile)) { Console.Error.WriteLine($"--config {configFile}: file not found"); return 2; }
    builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
}
builder.Configuration.AddEnvironmentVariables();
builder.Configuration.AddInMemoryCollection(cli.Config);

NodeSettings settings = new();
try
{
    builder.Configuration.GetSection(NodeSettings.Section).Bind(settings);
    if (cli.Verb == "extract" && !cli.Config.Keys.Any(k => k.StartsWith("EmotionCluster:Node:Roles", StringComparison.Ordinal)))
        settings.Roles = [ClusterRoles.Coordinator];
    settings.Validate();
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
{
    Console.Error.WriteLine($"bad node configuration: {e.Message}");
    return 2;
}

var store = new DirectoryFeatureStore(settings.FeatureStorePath);
var services = new PipelineServiceFactory(store);
var stats = new ExtractorNodeStats();
builder.Services.AddSingleton(settings).AddSingleton<IFeatureStore>(store).AddSingleton(stats);
builder.Services.AddAkka(settings.ActorSystemName, (akka, sp) =>
{
    akka.AddEmotionClusterNode(settings, services, stats);
    akka.AddStartup((system, registry) =>
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        Console.WriteLine($"node started: {cluster.SelfAddress} roles={string.Join(',', settings.EffectiveRoles)} store={store.Root}");
        if (settings.Has(ClusterRoles.Extractor))
            system.ActorOf(RebalanceReporter.PropsFor(registry.Get<ClipExtractorRegion>(), Console.Out), "rebalance-reporter");
    });
});

using IHost host = builder.Build();
if (cli.Verb == "run")
{
    await host.RunAsync();
    Console.WriteLine($"node stopped: extracted {stats.Extracted} clips ({stats.Cached} from the store), {stats.Failed} failed");
    return 0;
}

await host.StartAsync();
try
{
    return await ExtractCommand.RunAsync(host.Services, cli, settings, store);
}
finally
{
    await host.StopAsync();
}
