using Akka.Hosting;
using EmotionCluster.Cluster;
using EmotionCluster.Extraction;
using EmotionCluster.Node;

NodeArguments cli;
try { cli = NodeArguments.Parse(args); }
catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
if (cli.Options.ContainsKey("--help")) { Console.WriteLine(NodeArguments.Usage); return 0; }

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
if (cli.Options.TryGetValue("--config", out string? configFile))
{
    if (!File.Exists(configFile)) { Console.Error.WriteLine($"--config {configFile}: file not found"); return 2; }
    builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
}
builder.Configuration.AddEnvironmentVariables();
if (cli.Verb == "extract" && !cli.Config.ContainsKey("EmotionCluster:Http:Port"))
    builder.Configuration.AddInMemoryCollection([new("EmotionCluster:Http:Port", "-1")]); // a one-shot run serves nothing
builder.Configuration.AddInMemoryCollection(cli.Config);

NodeSettings settings = new();
HttpSettings http = new();
try
{
    builder.Configuration.GetSection(NodeSettings.Section).Bind(settings);
    builder.Configuration.GetSection(HttpSettings.Section).Bind(http);
    if (cli.Verb == "extract" && !cli.Config.Keys.Any(k => k.StartsWith("EmotionCluster:Node:Roles", StringComparison.Ordinal)))
        settings.Roles = [ClusterRoles.Coordinator];
    settings.Validate();
    if (settings.TlsEnabled) RemotingTls.Load(settings).Dispose(); // a missing certificate or a wrong password stops the node here, named
    http.Validate();
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
{
    Console.Error.WriteLine($"bad node configuration: {e.Message}");
    return 2;
}
if (cli.Config.ContainsKey("EmotionCluster:Http:Token"))
    Console.Error.WriteLine("note: --token shows in ps to every user of this host; prefer --token-file FILE or EmotionCluster__Http__Token");
if (http.ExposureWarning() is { } exposed) Console.Error.WriteLine(exposed);

if (http.Enabled) builder.WebHost.UseUrls($"http://{http.Hostname}:{http.Port}");
else builder.Services.AddSingleton<Microsoft.AspNetCore.Hosting.Server.IServer, NoHttpServer>(); // --http-port -1: no listener at all
var store = new DirectoryFeatureStore(settings.FeatureStorePath);
var services = new PipelineServiceFactory(store);
var stats = new ExtractorNodeStats();
builder.Services.AddSingleton(settings).AddSingleton(http).AddSingleton<IFeatureStore>(store).AddSingleton(stats);
try
{
    NodeComposition.AddServices(builder, settings, http);
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
{
    Console.Error.WriteLine($"bad node configuration: {e.Message}");
    return 2;
}
builder.Services.AddAkka(settings.ActorSystemName, (akka, sp) =>
{
    bool bootstrap = string.Equals(builder.Configuration[$"{DiscoverySettings.Section}:Method"], DiscoverySettings.KubernetesMethod, StringComparison.OrdinalIgnoreCase);
    akka.AddEmotionClusterNode(settings, services, stats, joinSelfWithoutSeeds: !bootstrap);
    NodeComposition.ConfigureAkka(akka, sp, settings);
    akka.AddStartup((system, registry) =>
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        Console.WriteLine($"node started: {cluster.SelfAddress} roles={string.Join(',', settings.EffectiveRoles)} store={store.Root}");
        if (settings.Has(ClusterRoles.Extractor))
            system.ActorOf(RebalanceReporter.PropsFor(registry.Get<ClipExtractorRegion>(), Console.Out), "rebalance-reporter");
    });
});

await using WebApplication app = builder.Build();
if (http.Enabled) NodeComposition.MapEndpoints(app, http);
if (cli.Verb == "run")
{
    await app.StartAsync();
    if (http.Enabled) Console.WriteLine($"http listening: {string.Join(' ', app.Urls)}");
    await app.WaitForShutdownAsync();
    Console.WriteLine($"node stopped: extracted {stats.Extracted} clips ({stats.Cached} from the store), {stats.Failed} failed");
    return 0;
}

await app.StartAsync();
try
{
    return await ExtractCommand.RunAsync(app.Services, cli, settings, store);
}
finally
{
    await app.StopAsync();
}
