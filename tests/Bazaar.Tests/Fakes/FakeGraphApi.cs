using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Bazaar.Tests.Fakes;

/// <summary>The WhatsApp Cloud API (Graph API) as far as Bazaar uses it: /messages, /media and media downloads, in its wire format.</summary>
public sealed class FakeGraphApi : IAsyncDisposable
{
    public const string Token = "test-graph-token";
    private WebApplication _app = null!;
    private int _n;
    public string BaseUrl { get; private set; } = "";
    public ConcurrentQueue<JsonObject> Sent { get; } = new();
    public ConcurrentQueue<string> Uploads { get; } = new();
    public ConcurrentDictionary<string, byte[]> Media { get; } = new();
    /// <summary>A Graph error to answer /messages with once (e.g. 131047), or null.</summary>
    public volatile string? NextError;

    public static async Task<FakeGraphApi> StartAsync()
    {
        var f = new FakeGraphApi();
        (f._app, f.BaseUrl) = await FakeHttpServer.StartAsync(app =>
        {
            app.MapPost("/{version}/{phone}/messages", async (HttpContext http) =>
            {
                if (http.Request.Headers.Authorization.ToString() != "Bearer " + Token)
                    return Results.Json(new { error = new { message = "Invalid OAuth access token.", type = "OAuthException", code = 190 } }, statusCode: 401);
                var body = (JsonObject)(await JsonNode.ParseAsync(http.Request.Body))!;
                if (f.NextError is { } code)
                {
                    f.NextError = null;
                    return Results.Json(new { error = new { message = "Message failed to send because more than 24 hours have passed since the customer last replied to this number.", type = "OAuthException", code = int.Parse(code), error_data = new { messaging_product = "whatsapp", details = "Re-engagement message" } } }, statusCode: 400);
                }
                f.Sent.Enqueue(body);
                var to = body["to"]!.GetValue<string>();
                return Results.Json(new { messaging_product = "whatsapp", contacts = new[] { new { input = to, wa_id = to } },
                    messages = new[] { new { id = $"wamid.out.{Interlocked.Increment(ref f._n)}" } } });
            });
            app.MapPost("/{version}/{phone}/media", async (HttpContext http) =>
            {
                var form = await http.Request.ReadFormAsync();
                f.Uploads.Enqueue(form.Files[0].FileName);
                return Results.Json(new { id = $"media-up-{Interlocked.Increment(ref f._n)}" });
            });
            app.MapGet("/{version}/{mediaId}", (string mediaId, HttpContext http) =>
                f.Media.TryGetValue(mediaId, out var bytes) && http.Request.Headers.Authorization.ToString() == "Bearer " + Token
                    ? Results.Json(new { messaging_product = "whatsapp", url = $"{f.BaseUrl}/download/{mediaId}", mime_type = "image/jpeg", sha256 = "x",
                        file_size = bytes.Length.ToString(), id = mediaId })
                    : Results.Json(new { error = new { message = "Unsupported get request.", code = 100 } }, statusCode: 400));
            app.MapGet("/download/{mediaId}", (string mediaId) => Results.Bytes(f.Media[mediaId], "image/jpeg"));
        });
        return f;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
