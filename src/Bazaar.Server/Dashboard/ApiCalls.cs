using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Bazaar.Server.Dashboard;

/// <summary>
/// The feature pages call the features' own API handlers (same validation, same services), then read the typed result:
/// a value on success, the ProblemDetails text to show the operator otherwise.
/// </summary>
internal static class ApiCalls
{
    public static IResult Inner(IResult r) => r is INestedHttpResult n ? Inner(n.Result) : r;

    public static string? Problem(IResult r) => Inner(r) switch
    {
        ProblemHttpResult p => p.ProblemDetails.Detail ?? p.ProblemDetails.Title,
        ValidationProblem v => string.Join(" ", v.ProblemDetails.Errors.SelectMany(e => e.Value)),
        _ => null,
    };

    public static T? Value<T>(IResult r) where T : class => Inner(r) is IValueHttpResult<T> v ? v.Value : null;

    // Form fields

    public static string Text(IFormCollection f, string name) => f[name].ToString().Trim();

    public static string? Optional(IFormCollection f, string name) => Text(f, name) is { Length: > 0 } s ? s : null;

    public static long? Long(IFormCollection f, string name) =>
        long.TryParse(Text(f, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    public static int? Int(IFormCollection f, string name) =>
        int.TryParse(Text(f, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    public static decimal? Decimal(IFormCollection f, string name) =>
        decimal.TryParse(Text(f, name).Replace(',', '.'), NumberStyles.Number, CultureInfo.InvariantCulture, out var v) ? v : null;

    public static double? Double(IFormCollection f, string name) =>
        double.TryParse(Text(f, name).Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>A datetime-local field, read as UTC (the pages say so).</summary>
    public static DateTime? Utc(IFormCollection f, string name) => Utc(Text(f, name));

    public static DateTime? Utc(string value) =>
        DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var v) ? v : null;

    public static bool Check(IFormCollection f, string name) => f[name].Any(v => v is "on" or "true" or "1");

    public static List<long> Ids(IFormCollection f, string name = "ids") =>
        f[name].Select(v => long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id : 0).Where(id => id > 0).Distinct().ToList();

    public static string LocalInput(DateTime? t) => t is { } v ? v.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture) : "";
}
