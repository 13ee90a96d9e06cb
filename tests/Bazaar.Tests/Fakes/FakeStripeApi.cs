using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Bazaar.Tests.Fakes;

/// <summary>
/// Stripe's API for Checkout Sessions on 127.0.0.1: <c>POST /v1/checkout/sessions</c> (form-encoded, bearer secret key)
/// answers a real Checkout Session object. Point Payments:Stripe:ApiBase at <see cref="BaseUrl"/>.
/// </summary>
public sealed class FakeStripeApi : IAsyncDisposable
{
    public sealed record SessionCall(string Authorization, IReadOnlyDictionary<string, string> Form, JsonObject Session);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<SessionCall> _calls = new();
    public string BaseUrl { get; }
    public IReadOnlyList<SessionCall> Sessions => _calls.ToArray();
    public bool FailNext { get; set; }
    /// <summary>The next this-many calls answer 500 with Stripe's api_error body.</summary>
    public int ServerErrors;
    /// <summary>When set, calls wait for it before answering (a hanging Stripe); <see cref="Entered"/> says one arrived.</summary>
    public TaskCompletionSource? Hold { get; set; }
    public TaskCompletionSource Entered { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public int Calls => Volatile.Read(ref _callCount);
    private int _callCount;

    private FakeStripeApi(WebApplication app, string baseUrl) { _app = app; BaseUrl = baseUrl; }

    public static async Task<FakeStripeApi> StartAsync()
    {
        FakeStripeApi? fake = null;
        var (app, url) = await FakeHttpServer.StartAsync(a => a.MapPost("/v1/checkout/sessions", (Delegate)((HttpContext http) => fake!.Create(http))));
        fake = new FakeStripeApi(app, url);
        return fake;
    }

    private async Task<IResult> Create(HttpContext http)
    {
        Interlocked.Increment(ref _callCount);
        Entered.TrySetResult();
        if (Hold is { } hold) await hold.Task;
        if (Interlocked.Decrement(ref ServerErrors) >= 0)
            return Results.Content("""{"error":{"type":"api_error","message":"Something went wrong on Stripe's end."}}""", "application/json", statusCode: 500);
        Interlocked.Exchange(ref ServerErrors, 0);
        if (FailNext)
        {
            FailNext = false;
            return Results.Content("""{"error":{"type":"invalid_request_error","code":"parameter_invalid_integer","message":"Invalid integer: abc","param":"line_items[0][price_data][unit_amount]"}}""", "application/json", statusCode: 400);
        }
        var form = (await http.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString());
        var id = "cs_test_" + Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var session = new JsonObject
        {
            ["id"] = id,
            ["object"] = "checkout.session",
            ["amount_subtotal"] = long.Parse(form["line_items[0][price_data][unit_amount]"]),
            ["amount_total"] = long.Parse(form["line_items[0][price_data][unit_amount]"]),
            ["cancel_url"] = form.GetValueOrDefault("cancel_url"),
            ["client_reference_id"] = form.GetValueOrDefault("client_reference_id"),
            ["created"] = now,
            ["currency"] = form["line_items[0][price_data][currency]"],
            ["customer"] = null,
            ["expires_at"] = now + 86400,
            ["livemode"] = false,
            ["metadata"] = new JsonObject { ["payment_id"] = form.GetValueOrDefault("metadata[payment_id]") },
            ["mode"] = form["mode"],
            ["payment_intent"] = null,
            ["payment_method_types"] = new JsonArray("card"),
            ["payment_status"] = "unpaid",
            ["status"] = "open",
            ["success_url"] = form.GetValueOrDefault("success_url"),
            ["url"] = $"https://checkout.stripe.com/c/pay/{id}",
        };
        _calls.Enqueue(new SessionCall(http.Request.Headers.Authorization.ToString(), form, session));
        return Results.Content(session.ToJsonString(), "application/json");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
