using EmotionCluster.Hosting;
using Microsoft.AspNetCore.Http;

namespace EmotionCluster.Management;

/// <summary>
/// The node's defence against cross-site request forgery (a page in the operator's browser calling the node):
/// <list type="bullet">
/// <item>on a node bound to loopback, a request whose <c>Host</c> is not a loopback name (nor the host of an allowed
/// origin) is refused with 403: DNS rebinding;</item>
/// <item>a request whose <c>Origin</c> header is neither the node's own origin nor in
/// <see cref="HttpSettings.AllowedOrigins"/> is refused with 403, whatever its method (this covers the WebSocket
/// upgrade of <c>/ws/stream</c>); a request without <c>Origin</c> (the CLI, curl, scrapers, probes) passes;</item>
/// <item>a request that can change state (any method but GET, HEAD and OPTIONS) must carry a JSON body
/// (<c>Content-Type: application/json</c>), else 415: a page of another origin cannot send one without a CORS
/// preflight, which the node never grants, so a form post or a <c>text/plain</c> fetch cannot leave or down a member.</item>
/// </list>
/// </summary>
public sealed class BrowserRequestRules(HttpSettings http)
{
    /// <summary>Any method but GET, HEAD and OPTIONS.</summary>
    public static bool ChangesState(string method) => !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));

    /// <summary>Null when the request may pass; otherwise the status (403, 415) and why.</summary>
    public (int Status, string Error)? Refusal(HttpRequest request)
    {
        if (OnLoopbackListener(request) && !http.HostAllowed(request.Host.Value))
            return (StatusCodes.Status403Forbidden,
                $"Host {request.Host} is not a name of this node: it listens on loopback ({http.Hostname}), so it answers only to " +
                $"localhost, 127.0.0.1 or ::1 (a web page whose name resolves to 127.0.0.1 must not reach it); add the name to " +
                $"{HttpSettings.Section}:AllowedOrigins if a proxy forwards it");
        string origin = request.Headers.Origin.ToString();
        if (!http.OriginAllowed(origin, request.Scheme, request.Host.Value))
            return (StatusCodes.Status403Forbidden,
                $"requests from pages of {origin} are refused: that is not this node's origin ({request.Scheme}://{request.Host}) " +
                $"nor one of {HttpSettings.Section}:AllowedOrigins; add it there if its pages may call the node");
        if (ChangesState(request.Method) && !request.HasJsonContentType())
            return (StatusCodes.Status415UnsupportedMediaType,
                $"{request.Method} {request.Path} takes a JSON body (Content-Type: application/json), e.g. {{\"address\": \"akka.tcp://…\"}}; " +
                $"this request has {(string.IsNullOrEmpty(request.ContentType) ? "no Content-Type" : $"Content-Type {request.ContentType}")}");
        return null;
    }

    /// <summary>
    /// The request came in on a loopback address (or, unknown, the node binds loopback): only there does a name that
    /// is not a loopback name mean DNS rebinding. The Kubernetes management port, say, listens on the pod's address.
    /// </summary>
    private bool OnLoopbackListener(HttpRequest request) =>
        request.HttpContext.Connection.LocalIpAddress is { } local ? System.Net.IPAddress.IsLoopback(local) : HttpSettings.IsLoopback(http.Hostname);

    /// <summary>Middleware: answers the refusal as a JSON error, else calls <paramref name="next"/>.</summary>
    public async Task Invoke(HttpContext context, Func<Task> next)
    {
        if (Refusal(context.Request) is not { } refusal)
        {
            await next();
            return;
        }
        context.Response.StatusCode = refusal.Status;
        await context.Response.WriteAsJsonAsync(new ApiError(refusal.Error));
    }
}
