using Microsoft.AspNetCore.Http.HttpResults;

namespace Bazaar.Server.Hosting;

/// <summary>
/// RFC 7807 answers for expected failures. Each carries a stable machine-readable <c>code</c>
/// beside the human <c>detail</c>, so integrators can branch on it.
/// </summary>
public static class Problems
{
    public static ProblemHttpResult BadRequest(string code, string detail) => Make(400, "Bad request", code, detail);
    /// <summary>The one answer of every list endpoint to a status filter it does not know, naming the allowed values.</summary>
    public static ProblemHttpResult InvalidStatus(IEnumerable<string> allowed) =>
        BadRequest("invalid_status", $"status must be one of: {string.Join(", ", allowed)}.");

    public static ProblemHttpResult NotFound(string code, string detail) => Make(404, "Not found", code, detail);
    public static ProblemHttpResult Conflict(string code, string detail) => Make(409, "Conflict", code, detail);
    public static ProblemHttpResult Unprocessable(string code, string detail) => Make(422, "Unprocessable", code, detail);

    public static ProblemHttpResult Make(int status, string title, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title,
            extensions: new Dictionary<string, object?> { ["code"] = code });
}

/// <summary>One page of a listing.</summary>
public sealed record Paged<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total)
{
    public const int MaxPageSize = 200;

    public static async Task<Paged<T>> Of(IQueryable<T> query, int page, int pageSize, CancellationToken ct)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        var total = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(query, ct);
        var items = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            query.Skip((page - 1) * pageSize).Take(pageSize), ct);
        return new Paged<T>(items, page, pageSize, total);
    }
}

public static class FormReading
{
    /// <summary>
    /// ReadFormAsync, but a truncated or mis-bounded body is the client's 400 (<c>malformed_form</c>), not our 500.
    /// </summary>
    public static async Task<IFormCollection> ReadFormOrBadRequestAsync(this HttpRequest request, CancellationToken ct)
    {
        try { return await request.ReadFormAsync(ct); }
        catch (Exception e) when (e is IOException or InvalidDataException && !ct.IsCancellationRequested)
        {
            throw new BadHttpRequestException("The request body is not a readable form.", StatusCodes.Status400BadRequest,
                new InvalidDataException(e.Message, e));
        }
    }
}

/// <summary>
/// Every ProblemDetails the server writes carries a stable <c>code</c>: the handler's own, or one for its status when
/// the framework wrote it (unknown route, wrong method, missing key, wrong content type, validation).
/// </summary>
internal static class ProblemCodes
{
    public static void Fill(ProblemDetailsContext ctx)
    {
        var p = ctx.ProblemDetails;
        if (p.Extensions.ContainsKey("code")) return;
        var status = p.Status ?? ctx.HttpContext.Response.StatusCode;
        if (p is HttpValidationProblemDetails)
        {
            p.Extensions["code"] = "validation_failed";
            p.Detail ??= "One or more fields are invalid; see errors.";
            return;
        }
        var (code, detail) = status switch
        {
            400 => ("bad_request", "The request is not valid."),
            401 => ("unauthorized", "This needs an API key: Authorization: Bearer <key>."),
            403 => ("forbidden", "This key or account may not do that."),
            404 => ("not_found", $"Nothing is at {ctx.HttpContext.Request.Path} (check the path and its parameters' types)."),
            405 => ("method_not_allowed", $"{ctx.HttpContext.Request.Method} is not allowed here."),
            406 => ("not_acceptable", "This endpoint cannot answer in the requested format."),
            409 => ("conflict", "The request conflicts with the current state."),
            413 => ("payload_too_large", "The request body is too large for this endpoint."),
            415 => ("unsupported_media_type", "Send the body as application/json."),
            422 => ("unprocessable", "The request cannot be carried out as it is."),
            429 => ("too_many_requests", "Too many requests; slow down."),
            >= 500 => ("internal_error", "Something went wrong on our side. It has been logged."),
            _ => ("error_" + status, null),
        };
        p.Extensions["code"] = code;
        p.Detail ??= detail;
    }
}
