using Akka.Hosting;

namespace EmotionCluster.Cluster.Wire;

/// <summary>The one Akka.Hosting registration of a bounded context's serializer.</summary>
public static class WireHosting
{
    /// <summary>
    /// Binds every marker interface of each protocol to that protocol's serializer (Akka.Hosting
    /// <c>WithCustomSerializer</c>). Registering a protocol again (two parts of a node that both need it) is harmless.
    /// </summary>
    public static AkkaConfigurationBuilder WithWireSerializer(this AkkaConfigurationBuilder builder, params WireProtocol[] protocols)
    {
        foreach (var protocol in protocols)
            builder.WithCustomSerializer(protocol.SerializerName, protocol.MarkerInterfaces, protocol.CreateSerializer);
        return builder;
    }
}
