using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Channels.WhatsApp;

/// <summary>
/// Sends outbox rows of channel whatsapp through the Graph API. Rows hold Bot API requests (features write one kind
/// of message); this maps them: text (HTML to WhatsApp's *bold* / _italic_ / ~strike~), an inline keyboard of up to 3
/// buttons as reply buttons and up to 10 as a list, photos as images and documents as documents (uploads go through
/// /media first). Free-form messages only go within WhatsApp:WindowHours of the contact's last message; after that a
/// row with a template goes as its configured template, and one without is failed as undeliverable with the reason.
/// </summary>
public sealed partial class WhatsAppDelivery(IHttpClientFactory http, IOptions<WhatsAppOptions> options, IServiceScopeFactory scopes, TimeProvider clock)
    : IOutboxTransport
{
    private WhatsAppOptions O => options.Value;
    public string Channel => ChatChannel.WhatsApp;
    public bool IsEnabled => O.CanSend;

    private static readonly HashSet<string> NoOps = new(StringComparer.OrdinalIgnoreCase)
        { "answerPreCheckoutQuery", "setMyCommands", "deleteMyCommands", "setChatMenuButton", "sendChatAction", "deleteMessage", "pinChatMessage", "unpinChatMessage" };

    public async Task<Delivery> SendAsync(OutboxMessage message, IReadOnlyList<OutboxAttachment> attachments, CancellationToken ct)
    {
        if (NoOps.Contains(message.Method)) return new Delivery.Sent(null);
        JsonNode p;
        try { p = JsonNode.Parse(message.Payload)!; }
        catch (JsonException e) { return new Delivery.Rejected("The payload is not JSON: " + e.Message); }
        if (message.Method.Equals("answerCallbackQuery", StringComparison.OrdinalIgnoreCase))
        {
            // WhatsApp has no button spinner; a toast's text goes as a message.
            var toast = p["text"]?.GetValue<string>();
            if (string.IsNullOrWhiteSpace(toast)) return new Delivery.Sent(null);
            p = new JsonObject { ["text"] = toast };
        }

        var lastSeen = await LastMessageAtAsync(message, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        if (lastSeen is null || now - lastSeen.Value > TimeSpan.FromHours(O.WindowHours))
            return await OutsideWindowAsync(message, lastSeen, ct);

        var to = message.ChatId;
        var buttons = Buttons(p["reply_markup"]);
        switch (message.Method)
        {
            case "sendMessage" or "editMessageText" or "answerCallbackQuery":
                return await PostAsync(Body(to, WithLinks(p["text"]?.GetValue<string>() ?? "", p["reply_markup"]), buttons), ct);
            case "sendPhoto" or "sendDocument":
                var image = message.Method == "sendPhoto";
                var field = image ? "photo" : "document";
                var caption = p["caption"]?.GetValue<string>();
                var media = new JsonObject();
                var source = p[field]?.GetValue<string>() ?? "";
                if (source == Outbox.AttachedFile && attachments.FirstOrDefault() is { } file)
                {
                    var (mediaId, error) = await UploadAsync(file, ct);
                    if (mediaId is null) return error!;
                    media["id"] = mediaId;
                    if (!image) media["filename"] = file.FileName;
                }
                else if (source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                    media["link"] = source;
                else media["id"] = source;
                if (caption is not null && buttons.Count == 0) media["caption"] = Format(caption);
                var kind = image ? "image" : "document";
                var sent = await PostAsync(new JsonObject { ["messaging_product"] = "whatsapp", ["recipient_type"] = "individual", ["to"] = to, ["type"] = kind, [kind] = media }, ct);
                // Buttons cannot ride on media: they follow as their own message, with the caption as its text.
                if (sent is Delivery.Sent && buttons.Count > 0) return await PostAsync(Body(to, caption ?? "👇", buttons), ct);
                return sent;
            default:
                return new Delivery.Rejected($"WhatsApp cannot send Bot API method '{message.Method}'.");
        }
    }

    private async Task<DateTime?> LastMessageAtAsync(OutboxMessage m, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        return await db.Users.AsNoTracking().Where(u => u.Channel == ChatChannel.WhatsApp && ((m.UserId != null && u.Id == m.UserId) || u.ExternalId == m.ChatId))
            .Select(u => (DateTime?)u.LastSeenAt).FirstOrDefaultAsync(ct);
    }

    private async Task<Delivery> OutsideWindowAsync(OutboxMessage message, DateTime? lastSeen, CancellationToken ct)
    {
        var since = lastSeen is { } t ? $"the contact last wrote at {t:yyyy-MM-dd HH:mm} UTC" : "the contact never wrote";
        var template = OutboxTemplate.Parse(message.Template);
        if (template is null)
            return new Delivery.Undeliverable($"Outside WhatsApp's {O.WindowHours}-hour window ({since}) and the message has no template.");
        if (!O.Templates.TryGetValue(template.Key, out var configured) || string.IsNullOrWhiteSpace(configured.Name))
            return new Delivery.Undeliverable($"Outside WhatsApp's {O.WindowHours}-hour window ({since}) and WhatsApp:Templates:{template.Key} is not configured.");
        var parameters = new JsonArray(template.Parameters.Select(x => (JsonNode)new JsonObject { ["type"] = "text", ["text"] = x }).ToArray());
        return await PostAsync(new JsonObject
        {
            ["messaging_product"] = "whatsapp", ["recipient_type"] = "individual", ["to"] = message.ChatId, ["type"] = "template",
            ["template"] = new JsonObject
            {
                ["name"] = configured.Name, ["language"] = new JsonObject { ["code"] = configured.Language },
                ["components"] = new JsonArray(new JsonObject { ["type"] = "body", ["parameters"] = parameters }),
            },
        }, ct);
    }

    public sealed record Button(string Id, string Title);

    internal static List<Button> Buttons(JsonNode? markup) =>
        (markup?["inline_keyboard"]?.AsArray() ?? []).SelectMany(row => row!.AsArray())
            .Select(b => (Data: b!["callback_data"]?.GetValue<string>(), Text: b["text"]?.GetValue<string>() ?? ""))
            .Where(b => b.Data is not null).Select(b => new Button(b.Data!, b.Text)).ToList();

    /// <summary>
    /// The Graph API message body this transport sends for a Bot API request's text part (text, reply buttons or a
    /// list), or null for a request with none (media without buttons, invoices). The sandbox shows WhatsApp replies by it.
    /// </summary>
    public static JsonObject? TextBody(string method, JsonNode p, string to)
    {
        var buttons = Buttons(p["reply_markup"]);
        return method switch
        {
            "sendMessage" or "editMessageText" => Body(to, WithLinks(p["text"]?.GetValue<string>() ?? "", p["reply_markup"]), buttons),
            "answerCallbackQuery" when !string.IsNullOrWhiteSpace(p["text"]?.GetValue<string>()) => Body(to, p["text"]!.GetValue<string>(), []),
            "sendPhoto" or "sendDocument" when buttons.Count > 0 => Body(to, p["caption"]?.GetValue<string>() ?? "👇", buttons),
            _ => null,
        };
    }

    /// <summary>WhatsApp has no URL buttons on free-form messages: a link button (a payment link) goes into the text as "title: url".</summary>
    internal static string WithLinks(string html, JsonNode? markup)
    {
        var links = (markup?["inline_keyboard"]?.AsArray() ?? []).SelectMany(row => row!.AsArray())
            .Where(b => b?["url"] is not null).Select(b => $"{WebUtility.HtmlEncode(b!["text"]?.GetValue<string>() ?? "")}: {WebUtility.HtmlEncode(b["url"]!.GetValue<string>())}").ToList();
        return links.Count == 0 ? html : html + "\n\n" + string.Join("\n", links);
    }

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    /// <summary>A text, reply buttons (≤ 3) or a list (≤ 10 rows; more are cut with a note).</summary>
    internal static JsonObject Body(string to, string html, List<Button> buttons)
    {
        var text = Format(html);
        if (text.Length == 0) text = "…";
        var body = new JsonObject { ["messaging_product"] = "whatsapp", ["recipient_type"] = "individual", ["to"] = to };
        if (buttons.Count == 0)
        {
            body["type"] = "text";
            body["text"] = new JsonObject { ["preview_url"] = false, ["body"] = Cut(text, 4096) };
            return body;
        }
        body["type"] = "interactive";
        if (buttons.Count <= 3)
        {
            body["interactive"] = new JsonObject
            {
                ["type"] = "button", ["body"] = new JsonObject { ["text"] = Cut(text, 1024) },
                ["action"] = new JsonObject
                {
                    ["buttons"] = new JsonArray(buttons.Select(b => (JsonNode)new JsonObject
                    {
                        ["type"] = "reply", ["reply"] = new JsonObject { ["id"] = Cut(b.Id, 256), ["title"] = Cut(b.Title, 20) },
                    }).ToArray()),
                },
            };
            return body;
        }
        var rows = buttons.Take(10).Select(b => (JsonNode)new JsonObject { ["id"] = Cut(b.Id, 200), ["title"] = Cut(b.Title, 24) }).ToArray();
        body["interactive"] = new JsonObject
        {
            ["type"] = "list", ["body"] = new JsonObject { ["text"] = Cut(text, 4096) },
            ["action"] = new JsonObject { ["button"] = "Options", ["sections"] = new JsonArray(new JsonObject { ["title"] = "Options", ["rows"] = new JsonArray(rows) }) },
        };
        return body;
    }

    [GeneratedRegex("<(/?)(b|strong|i|em|s|del|code|pre)>", RegexOptions.IgnoreCase)]
    private static partial Regex Markup();
    [GeneratedRegex("<[^>]+>")]
    private static partial Regex AnyTag();

    /// <summary>The bot's HTML as WhatsApp formatting.</summary>
    public static string Format(string html)
    {
        var s = Markup().Replace(html, m => m.Groups[2].Value.ToLowerInvariant() switch
        {
            "b" or "strong" => "*", "i" or "em" => "_", "s" or "del" => "~", _ => "```",
        });
        return WebUtility.HtmlDecode(AnyTag().Replace(s, "")).Trim();
    }

    private HttpClient Client()
    {
        var c = http.CreateClient("whatsapp");
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", O.AccessToken);
        return c;
    }

    private async Task<(string? MediaId, Delivery? Error)> UploadAsync(OutboxAttachment file, CancellationToken ct)
    {
        var type = new Microsoft.AspNetCore.StaticFiles.FileExtensionContentTypeProvider().TryGetContentType(file.FileName, out var t) ? t : "application/octet-stream";
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent("whatsapp"), "messaging_product");
        form.Add(new StringContent(type), "type");
        var content = new ByteArrayContent(file.Content);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        form.Add(content, "file", file.FileName);
        try
        {
            using var r = await Client().PostAsync(O.Url($"{O.PhoneNumberId}/media"), form, ct);
            var json = await r.Content.ReadAsStringAsync(ct);
            if (!r.IsSuccessStatusCode) return (null, Outcome(r.StatusCode, json, r.Headers.RetryAfter));
            return (JsonNode.Parse(json)?["id"]?.GetValue<string>(), null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return (null, new Delivery.Transient("Media upload failed: " + e.Message));
        }
    }

    private async Task<Delivery> PostAsync(JsonObject body, CancellationToken ct)
    {
        try
        {
            using var r = await Client().PostAsync(O.Url($"{O.PhoneNumberId}/messages"),
                new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), ct);
            var json = await r.Content.ReadAsStringAsync(ct);
            if (!r.IsSuccessStatusCode) return Outcome(r.StatusCode, json, r.Headers.RetryAfter);
            var id = JsonNode.Parse(json)?["messages"]?[0]?["id"]?.GetValue<string>();
            return new Delivery.Sent(json, id);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return new Delivery.Transient(e.Message);
        }
    }

    /// <summary>The Graph API's error answer as a delivery outcome (codes from the Cloud API error reference).</summary>
    private static Delivery Outcome(HttpStatusCode status, string json, RetryConditionHeaderValue? retryAfter)
    {
        int? code = null;
        var message = json;
        try
        {
            var e = JsonNode.Parse(json)?["error"];
            code = e?["code"]?.GetValue<int>();
            message = $"{code}: {e?["message"]?.GetValue<string>()}" + (e?["error_data"]?["details"]?.GetValue<string>() is { } d ? $" ({d})" : "");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException) { }
        var wait = retryAfter?.Delta ?? TimeSpan.FromSeconds(30);
        return code switch
        {
            130429 or 80007 => new Delivery.RetryAfter(wait, true, message),       // throughput or app rate limit
            131056 => new Delivery.RetryAfter(wait, false, message),              // too many to this one contact
            131047 => new Delivery.Undeliverable("Outside WhatsApp's 24-hour window: " + message),
            131026 or 131049 => new Delivery.Undeliverable(message),              // not a WhatsApp user / not delivered for engagement
            _ when status == HttpStatusCode.TooManyRequests => new Delivery.RetryAfter(wait, true, message),
            _ when (int)status >= 500 => new Delivery.Transient(message),
            _ when status is HttpStatusCode.Unauthorized => new Delivery.Transient("The access token was refused: " + message),
            _ => new Delivery.Rejected(message),
        };
    }
}

/// <summary>A customer's image or document: the media id's URL from the Graph API, then the bytes (both with the access token).</summary>
internal sealed class WhatsAppFileSource(IHttpClientFactory http, IOptions<WhatsAppOptions> options) : IChatFileSource
{
    public string Channel => ChatChannel.WhatsApp;

    public async Task<ChatFile?> DownloadAsync(string fileId, long? maxBytes, CancellationToken ct)
    {
        var o = options.Value;
        var c = http.CreateClient("whatsapp");
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", o.AccessToken);
        var meta = JsonNode.Parse(await c.GetStringAsync(o.Url(Uri.EscapeDataString(fileId)), ct))!;
        var url = meta["url"]?.GetValue<string>();
        if (url is null) return null;
        var type = meta["mime_type"]?.GetValue<string>();
        var size = long.TryParse(meta["file_size"]?.ToString(), out var s) ? s : 0;
        // Too large: not downloaded; a stand-in of the declared size lets the caller refuse it by its limit.
        if (maxBytes is { } max && size > max) return new ChatFile(new byte[max + 1], type, null);
        var bytes = await c.GetByteArrayAsync(url, ct);
        return new ChatFile(bytes, type, null);
    }
}
