using Microsoft.AspNetCore.Http.HttpResults;

namespace Bazaar.Server.Hosting;

/// <summary>
/// RFC 7807 answers for expected failures. Each carries a stable machine-readable <c>code</c>
/// beside the human <c>detail</c>, so integrators can branch on it.
/// </summary>
public static class Problems
{
    public static ProblemHttpResult BadRequest(string code, string detail) => Make(400, "Bad request", code, detail);
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
