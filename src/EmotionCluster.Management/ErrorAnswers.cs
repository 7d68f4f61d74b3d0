using System.Text.Json;
using Akka.Actor;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace EmotionCluster.Management;

/// <summary>
/// The one place where a failed request becomes an answer: every error of the node's HTTP endpoint is
/// <c>{"error": "…"}</c> with a fitting status. A <see cref="ManagementException"/> keeps its status, a body that is
/// not JSON (or not the expected JSON) is a 400, an ask without an answer a 503, anything else a 500 (logged). An
/// error status that an endpoint or the routing set without a body (404, 405, …) gets a JSON body too.
/// </summary>
public sealed class ErrorAnswers(ILogger<ErrorAnswers> logger)
{
    /// <summary>Middleware: runs <paramref name="next"/> and answers its failure.</summary>
    public async Task Invoke(HttpContext context, Func<Task> next)
    {
        try
        {
            await next();
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away: nobody to answer
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var (status, message) = Classify(e, context.Request);
            if (status >= 500) logger.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            await WriteAsync(context, status, message);
            return;
        }
        HttpResponse response = context.Response;
        if (!response.HasStarted && response.StatusCode >= 400 && response.ContentLength is null && string.IsNullOrEmpty(response.ContentType))
            await WriteAsync(context, response.StatusCode,
                $"{response.StatusCode} {ReasonPhrases.GetReasonPhrase(response.StatusCode).ToLowerInvariant()}: {context.Request.Method} {context.Request.Path}" +
                (response.StatusCode == StatusCodes.Status405MethodNotAllowed ? "; see docs/operations.md for the endpoints and their methods" : ""));
    }

    /// <summary>The status and message of a request's failure.</summary>
    public static (int Status, string Message) Classify(Exception e, HttpRequest request) => e switch
    {
        ManagementException m => (m.Status, m.Message),
        JsonException j => (StatusCodes.Status400BadRequest,
            $"the body of {request.Method} {request.Path} is not the JSON it takes (e.g. {{\"address\": \"akka.tcp://…\"}}): {j.Message}"),
        BadHttpRequestException b => (b.StatusCode, b.Message),
        AskTimeoutException t => (StatusCodes.Status503ServiceUnavailable, $"no answer in time: {t.Message}"),
        _ => (StatusCodes.Status500InternalServerError,
            $"internal error ({e.GetType().Name}: {e.Message}); the node's log has the details (emotioncluster ctl log peek)"),
    };

    private static async Task WriteAsync(HttpContext context, int status, string message)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new ApiError(message));
    }
}
