using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Bazaar.Server.Hosting;

/// <summary>
/// Turns exceptions into ProblemDetails. Bad input (unreadable JSON, a wrong parameter type) is the
/// client's 4xx; anything else is a 500 whose details stay in the log.
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        var (status, title, detail, code) = exception switch
        {
            BadHttpRequestException { InnerException: JsonException } =>
                (400, "Malformed JSON", "The request body is not valid JSON for this endpoint.", "malformed_json"),
            // ReadFormAsync on a truncated or mis-bounded multipart body.
            BadHttpRequestException { InnerException: InvalidDataException } =>
                (400, "Malformed form", "The request body is not a readable form.", "malformed_form"),
            BadHttpRequestException b => (b.StatusCode, "Bad request", b.Message, "bad_request"),
            JsonException => (400, "Malformed JSON", "The request body is not valid JSON for this endpoint.", "malformed_json"),
            OperationCanceledException when http.RequestAborted.IsCancellationRequested =>
                (499, "Client closed request", "The client went away.", "client_closed"),
            _ => (500, "Internal error", "Something went wrong on our side. It has been logged.", "internal_error"),
        };
        if (status >= 500) log.LogError(exception, "Unhandled exception for {Method} {Path}", http.Request.Method, http.Request.Path);
        else log.LogDebug(exception, "Bad request for {Method} {Path}", http.Request.Method, http.Request.Path);

        http.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = status, Title = title, Detail = detail,
                Extensions = { ["code"] = code },
            },
        });
    }
}
