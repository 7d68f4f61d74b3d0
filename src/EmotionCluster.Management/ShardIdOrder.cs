using System.Reflection;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace EmotionCluster.Management;

/// <summary>Numeric shard ids in numeric order, others after them in ordinal order.</summary>
public sealed class ShardIdOrder : IComparer<string>
{
    public static readonly ShardIdOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        bool xn = int.TryParse(x, out int a), yn = int.TryParse(y, out int b);
        if (xn && yn) return a.CompareTo(b);
        if (xn != yn) return xn ? -1 : 1;
        return string.CompareOrdinal(x, y);
    }
}
