using Akka.Hosting;

namespace EmotionCluster.Wire;

/// <summary>The one Akka.Hosting registration of a bounded context's serializer.</summary>
public static class WireHosting
{
    /// <summary>
    /// Binds every marker interface of each protocol to that protocol's serializer (Akka.Hosting
    /// <c>WithCustomSerializer</c>, under the name <see cref="WireProtocol.SerializerName"/>). Each context's hosting calls
    /// it for its own protocol: <c>AddEmotionClusterNode</c> (extraction), <c>AddEmotionClusterTraining</c>,
    /// <c>AddEvaluatorSerializer</c>, <c>WithStreaming</c>.
    /// </summary>
    public static AkkaConfigurationBuilder WithWireSerializer(this AkkaConfigurationBuilder builder, params WireProtocol[] protocols)
    {
        foreach (var protocol in protocols)
            builder.WithCustomSerializer(protocol.SerializerName, protocol.MarkerInterfaces, protocol.CreateSerializer);
        return builder;
    }
}
