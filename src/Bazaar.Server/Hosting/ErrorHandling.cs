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
        if (exception is BadHttpRequestException { InnerException: JsonException { Path: { Length: > 2 } path } je } &&
            je.Message.Contains("could not be converted to", StringComparison.Ordinal) &&
            (WrongType(je.Message) ?? WrongType(FieldType(http, path))) is { } expected)
        {
            // The JSON is fine but a field has the wrong type: name the field and what it takes, never echo the value.
            var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
            http.Response.StatusCode = 400;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                Exception = exception,
                ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [$"Must be {expected}."] })
                {
                    Status = 400, Title = "Invalid field", Detail = $"The field '{field}' must be {expected}.",
                    Extensions = { ["code"] = "invalid_field_type" },
                },
            });
        }
        var (status, title, detail, code) = exception switch
        {
            BadHttpRequestException { StatusCode: 413 } b =>
                (413, "Payload too large", b.Message, "payload_too_large"),
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

    /// <summary>The type of the field at a JSON path ($.items[0].price) in the endpoint's body type.</summary>
    internal static Type? FieldType(HttpContext http, string path)
    {
        // The exception handler clears the endpoint before it runs; the feature keeps it.
        var endpoint = http.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Endpoint ?? http.GetEndpoint();
        var type = endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.RequestType;
        foreach (var part in path.TrimStart('$').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            if (type is null) return null;
            var name = part.Split('[')[0].Replace("_", "", StringComparison.Ordinal);
            type = type.GetProperties().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.PropertyType;
            for (var i = 0; type is not null && i < part.Count(c => c == '['); i++) type = ElementType(type);
        }
        return type;
    }

    private static Type? ElementType(Type t) => t.IsArray ? t.GetElementType()
        : t.GetInterfaces().Append(t).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];

    internal static string? WrongType(Type? type) => type is null ? null
        : WrongType($"could not be converted to {(Nullable.GetUnderlyingType(type) ?? type).FullName}. Path:")
          ?? (type != typeof(string) && ElementType(type) is not null ? "an array" : type.IsClass ? "an object" : null);

    /// <summary>What System.Text.Json wanted, from its "could not be converted to T" message, in plain words.</summary>
    internal static string? WrongType(string message)
    {
        const string marker = "could not be converted to ";
        var at = message.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return null;
        var rest = message[(at + marker.Length)..];
        var end = rest.IndexOf(". Path:", StringComparison.Ordinal);
        var type = (end >= 0 ? rest[..end] : rest.Split(' ')[0]).TrimEnd('.');
        var nullable = type.StartsWith("System.Nullable`1[", StringComparison.Ordinal);
        if (nullable) type = type["System.Nullable`1[".Length..].TrimEnd(']');
        if (type.Contains('+') || (!type.StartsWith("System.", StringComparison.Ordinal) && type.Contains('.'))) return null; // the record, not the field
        var name = type.Split('.')[^1];
        return name switch
        {
            "Decimal" or "Double" or "Single" => "a number",
            "Int32" or "Int64" or "Int16" or "Byte" or "UInt32" or "UInt64" => "a whole number",
            "Boolean" => "true or false",
            "String" => "a string",
            "DateTime" or "DateTimeOffset" => "a date and time (ISO 8601)",
            "DateOnly" => "a date (YYYY-MM-DD)",
            "Guid" => "a UUID",
            _ when name.Contains("[]") || name.Contains("List") => "an array",
            _ => null,
        };
    }
}
