using Akka.Hosting;
using EmotionCluster.Cluster;

namespace EmotionCluster.Node;

/// <summary>
/// The node's parts beyond sharded extraction, each from its own project: services, actors and HTTP endpoints.
/// One place to see what a node runs; each part adds its line here.
/// </summary>
internal static class NodeComposition
{
    public static void AddServices(WebApplicationBuilder builder, NodeSettings settings, HttpSettings http)
    {
    }

    public static void ConfigureAkka(AkkaConfigurationBuilder akka, IServiceProvider services, NodeSettings settings)
    {
    }

    public static void MapEndpoints(WebApplication app, HttpSettings http)
    {
    }
}
