using System.Security.Cryptography;
using System.Text;
using EmotionCluster.Hosting;
using Microsoft.AspNetCore.Http;

namespace EmotionCluster.Management;

/// <summary>
/// The bearer-token rule of the node's HTTP endpoint: when a token is configured, every request except the two
/// health probes must carry <c>Authorization: Bearer TOKEN</c>. <c>/metrics</c> also accepts the metrics token when
/// one is configured, and needs no token at all with public metrics. The comparison takes the same time whatever the
/// presented value (both sides are hashed to a fixed length, then compared with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>).
/// </summary>
public sealed class TokenCheck
{
    private readonly byte[]? _expectedHash, _metricsHash;
    private readonly bool _publicMetrics;
    private readonly int? _managementPort;

    /// <param name="token">The bearer token; null or empty: no check.</param>
    /// <param name="managementPort">
    /// The cluster-bootstrap port (Kubernetes discovery): other pods call <c>/bootstrap/seed-nodes</c> there without
    /// a token; nothing else is served on it.
    /// </param>
    /// <param name="metricsToken">Also accepted for <c>/metrics</c> (and nothing else); null or empty: none.</param>
    /// <param name="publicMetrics"><c>/metrics</c> needs no token.</param>
    public TokenCheck(string? token, int? managementPort = null, string? metricsToken = null, bool publicMetrics = false)
    {
        _expectedHash = Hash(token);
        _metricsHash = Hash(metricsToken);
        _publicMetrics = publicMetrics;
        _managementPort = managementPort;
    }

    /// <summary>The check configured by <paramref name="http"/> (Token, MetricsToken, PublicMetrics).</summary>
    public static TokenCheck For(HttpSettings http, int? managementPort = null) =>
        new(http.Token, managementPort, http.MetricsToken, http.PublicMetrics);

    private static byte[]? Hash(string? token) => string.IsNullOrEmpty(token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public bool Enabled => _expectedHash is not null;

    private static bool IsMetrics(PathString path) => path.Equals(HttpSettings.MetricsPath, StringComparison.OrdinalIgnoreCase);

    /// <summary>Paths answered without a token: the Kubernetes probes.</summary>
    public static bool IsExempt(PathString path) =>
        path.Equals(HttpSettings.LivePath, StringComparison.OrdinalIgnoreCase) ||
        path.Equals(HttpSettings.ReadyPath, StringComparison.OrdinalIgnoreCase);

    /// <summary>Null when a request with this path and Authorization header may pass; otherwise why not.</summary>
    public string? Refusal(PathString path, string? authorization)
    {
        if (_expectedHash is null || IsExempt(path) || (_publicMetrics && IsMetrics(path))) return null;
        if (string.IsNullOrEmpty(authorization))
            return "missing Authorization header; send 'Authorization: Bearer <token>' (the node's EmotionCluster:Http:Token)";
        const string scheme = "Bearer ";
        if (!authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return "Authorization header is not a bearer token; send 'Authorization: Bearer <token>'";
        byte[] presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim()));
        bool main = CryptographicOperations.FixedTimeEquals(presented, _expectedHash);
        bool metrics = _metricsHash is not null && CryptographicOperations.FixedTimeEquals(presented, _metricsHash);
        if (main || (metrics && IsMetrics(path))) return null;
        return metrics
            ? $"the metrics token is good for {HttpSettings.MetricsPath} only; use the node's EmotionCluster:Http:Token for {path}"
            : "wrong bearer token";
    }

    /// <summary>Middleware: answers 401 with a JSON error when <see cref="Refusal"/> says so.</summary>
    public async Task Invoke(HttpContext context, Func<Task> next)
    {
        if (_managementPort is { } port && context.Connection.LocalPort == port)
        {
            if (context.Request.Path.Equals(DiscoveryHosting.BootstrapPath, StringComparison.Ordinal))
            {
                await next();
                return;
            }
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsJsonAsync(new ApiError($"the management port serves only {DiscoveryHosting.BootstrapPath}"));
            return;
        }
        string? refusal = Refusal(context.Request.Path, context.Request.Headers.Authorization.ToString());
        if (refusal is null)
        {
            await next();
            return;
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await context.Response.WriteAsJsonAsync(new ApiError(refusal));
    }
}
