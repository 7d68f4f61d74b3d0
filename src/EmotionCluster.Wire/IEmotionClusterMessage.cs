namespace EmotionCluster.Wire;

/// <summary>The marker of the cluster context's messages: the extraction messages (EmotionCluster.Extraction's <c>ExtractionWire.Protocol</c>, serializer 7341) and <see cref="DataChunk"/>, which every context uses for payloads larger than a frame.</summary>
public interface IEmotionClusterMessage;
