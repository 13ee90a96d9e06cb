using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.Channels.WhatsApp;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Channels.Sandbox;

public sealed class SandboxOptions
{
    /// <summary>On by default in Development, off otherwise.</summary>
    public bool? Enabled { get; set; }
    /// <summary>How long POST /api/v1/sandbox/updates waits for the pipeline.</summary>
    public int WaitSeconds { get; set; } = 10;
}

/// <summary>
/// A web chat with the bot as a simulated Telegram user. Updates go through the same inbox, processor
/// and outbox as Telegram's, on the channel "sandbox"; instead of a sender, the sandbox itself delivers
/// its outbox rows to the page, answering each with a Bot API result as Telegram would.
/// </summary>
public static class SandboxModule
{
    public const string BotId = "sandbox";

    public static IServiceCollection AddSandbox(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<SandboxOptions>(config.GetSection("Sandbox"));
        return services;
    }

    public static bool IsEnabled(IServiceProvider services) =>
        services.GetRequiredService<IOptions<SandboxOptions>>().Value.Enabled
        ?? services.GetRequiredService<IHostEnvironment>().IsDevelopment();

    public static IEndpointRouteBuilder MapSandboxApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sandbox", Page).WithName("SandboxPage").WithTags("Sandbox").WithSummary("The chat sandbox (an HTML page)")
            .AddEndpointFilter(OnlyWhenEnabled);
        var g = app.MapGroup("/api/v1/sandbox").WithTags("Sandbox").AddEndpointFilter(OnlyWhenEnabled);
        g.MapPost("/updates", PostUpdate).WithName("SandboxPostUpdate")
            .WithSummary("Runs a Telegram Update through the pipeline as a sandbox user and returns the bot's replies")
            .Accepts<System.Text.Json.JsonElement>("application/json");
        g.MapPost("/whatsapp", PostWhatsApp).WithName("SandboxPostWhatsApp")
            .WithSummary("Runs a WhatsApp Cloud API webhook payload through the pipeline as a sandbox WhatsApp contact and returns the bot's replies")
            .Accepts<System.Text.Json.JsonElement>("application/json");
        g.MapGet("/messages", GetMessages).WithName("SandboxMessages")
            .WithSummary("Messages the bot sent to a sandbox chat after a given message id (e.g. from jobs); channel sandbox or sandbox_whatsapp");
        g.MapGet("/said", GetSaid).WithName("SandboxSaid")
            .WithSummary("What the sandbox user said (texts, photos, files; the newest 200), so a reloaded page shows both sides");
        g.MapGet("/files/{outboxId:long}", GetFile).WithName("SandboxFile")
            .WithSummary("The file the bot uploaded with a sandbox message (sendPhoto / sendDocument), with its content type")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream");
        return app;
    }

    private static async ValueTask<object?> OnlyWhenEnabled(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next) =>
        IsEnabled(ctx.HttpContext.RequestServices)
            ? await next(ctx)
            : Problems.NotFound("sandbox_disabled", "The sandbox is switched off (Sandbox:Enabled).");

    /// <summary>
    /// A bot message as the page shows it. For a sandbox WhatsApp contact, WhatsApp is the Graph API body the
    /// WhatsApp transport would send for its text part (text, reply buttons ≤ 3, or a list ≤ 10 rows). Text is the text, caption or invoice description; for photos and
    /// documents File is where to get the file (the sandbox's files endpoint for uploads, or the http URL the bot
    /// gave), null for a Telegram file id.
    /// </summary>
    public sealed record SandboxMessage(long Id, string Method, string ChatId, int? MessageId, string? Text, JsonElement? ReplyMarkup,
        bool ShowAlert, DateTime CreatedAt, string? Caption = null, bool Photo = false, bool Document = false, string? File = null,
        string? FileName = null, SandboxInvoice? Invoice = null, [property: System.Text.Json.Serialization.JsonPropertyName("whatsapp")] JsonElement? WhatsApp = null,
        long? InboundUpdateId = null);
    /// <summary>A sendInvoice; TotalAmount is in the currency's smallest units (Stars for XTR).</summary>
    public sealed record SandboxInvoice(string Title, string Description, string Currency, long TotalAmount);
    /// <summary>What the bot did with the update; <paramref name="Note"/> explains, for the person trying the bot, what Telegram would not show (a rate-limited update).</summary>
    public sealed record SandboxReply(long InboundId, UpdateStatus Status, IReadOnlyList<SandboxMessage> Messages, string? Note = null);

    private static string RateLimitedNote(RateLimitOptions o) =>
        $"Rate-limited: this was not handled. Limits: {o.PerMinute} commands a minute; button presses {o.ButtonsPerSecond} a second " +
        $"and {o.ButtonsPerMinute} a minute. Wait a moment and try again.";

    internal static ContentHttpResult Page()
    {
        using var stream = typeof(SandboxModule).Assembly.GetManifestResourceStream("Bazaar.Server.Channels.Sandbox.sandbox.html")!;
        using var reader = new StreamReader(stream);
        return TypedResults.Content(reader.ReadToEnd(), "text/html; charset=utf-8");
    }

    internal static async Task<Results<Ok<SandboxReply>, ProblemHttpResult>> PostUpdate(HttpContext http, Inbox inbox,
        UpdateProcessor processor, BazaarDb db, TimeProvider clock, IOptions<SandboxOptions> options,
        IOptions<ConversationOptions> conversations, CancellationToken ct)
    {
        using var ms = new MemoryStream();
        await http.Request.Body.CopyToAsync(ms, ct);
        var (update, error) = TelegramWebhook.Parse(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        if (update is null) return Problems.BadRequest("update_invalid", error!);
        if (UpdateInfo.Of(update).Problem is { } odd) return Problems.BadRequest("update_malformed", odd);
        return await RunAsync(ChatChannel.Sandbox, update, Encoding.UTF8.GetString(ms.ToArray()), inbox, processor, db, clock, options, conversations, ct);
    }

    /// <summary>
    /// A WhatsApp contact in the sandbox: the page posts what Meta's webhook would (entry → changes → value → messages,
    /// contacts), read by the same parser and turned into the same update as the real webhook, on the channel
    /// sandbox_whatsapp; no signature, since nothing comes from Meta. One message per call.
    /// </summary>
    internal static async Task<Results<Ok<SandboxReply>, ProblemHttpResult>> PostWhatsApp(HttpContext http, Inbox inbox, BotPipeline pipeline,
        UpdateProcessor processor, BazaarDb db, WriteGate gate, TimeProvider clock, IOptions<SandboxOptions> options,
        IOptions<ConversationOptions> conversations, CancellationToken ct)
    {
        JsonDocument doc;
        try { doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct); }
        catch (JsonException e) { return Problems.BadRequest("payload_invalid", "The body is not JSON: " + e.Message); }
        using var _ = doc;
        var (messages, _) = WhatsAppInbound.Parse(doc.RootElement);
        if (messages.Count != 1) return Problems.BadRequest("message_count", "Send exactly one message (entry → changes → value → messages).");
        var m = messages[0];
        if (m.From.Length is 0 or > 20 || !m.From.All(char.IsAsciiDigit)) return Problems.BadRequest("wa_id_invalid", "from must be the contact's wa_id (digits).");
        if (!m.WaMessageId.StartsWith("wamid.sandbox", StringComparison.Ordinal) || m.WaMessageId.Length > 128)
            return Problems.BadRequest("wamid_invalid", "Sandbox message ids start with wamid.sandbox (at most 128 characters).");
        int id;
        using (await gate.EnterAsync(ct)) id = await WhatsAppMessageIds.UpdateIdOfAsync(db, m.WaMessageId, clock.GetUtcNow().UtcDateTime, ct);
        var update = WhatsAppInbound.ToUpdate(m, id, c => pipeline.Routes.FindCommand(c) is { Hidden: false });
        return await RunAsync(ChatChannel.SandboxWhatsApp, update, JsonSerializer.Serialize(update, global::Telegram.Bot.JsonBotAPI.Options),
            inbox, processor, db, clock, options, conversations, ct);
    }

    /// <summary>Stores the update in the inbox, helps the processor until it is handled, and delivers its replies to the page.</summary>
    private static async Task<Results<Ok<SandboxReply>, ProblemHttpResult>> RunAsync(string channel, global::Telegram.Bot.Types.Update update, string payload,
        Inbox inbox, UpdateProcessor processor, BazaarDb db, TimeProvider clock, IOptions<SandboxOptions> options,
        IOptions<ConversationOptions> conversations, CancellationToken ct)
    {
        await inbox.AcceptAsync(InboundItem.Of(channel, BotId, update, payload));
        var row = await db.InboundUpdates.AsNoTracking()
            .Where(u => u.Channel == channel && u.BotId == BotId && u.UpdateId == update.Id)
            .Select(u => new { u.Id, u.Status }).FirstAsync(ct);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.WaitSeconds));
        var status = row.Status;
        try
        {
            while (status is UpdateStatus.Received or UpdateStatus.Processing)
            {
                // Claims are atomic, so helping the background processor along is safe.
                var next = processor.NextBatchAsync();
                if (await processor.RunOnceAsync(timeout.Token) == 0)
                    await next.WaitAsync(TimeSpan.FromMilliseconds(100), timeout.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                status = await db.InboundUpdates.AsNoTracking().Where(u => u.Id == row.Id).Select(u => u.Status).FirstAsync(ct);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Problems.Make(504, "Gateway timeout", "sandbox_timeout", $"Update {row.Id} was not processed in time.");
        }
        var rows = await db.Outbox.Where(m => m.Channel == channel && m.InboundUpdateId == row.Id).OrderBy(m => m.Id).ToListAsync(ct);
        return TypedResults.Ok(new SandboxReply(row.Id, status, await DeliverAsync(db, rows, clock, ct),
            status == UpdateStatus.RateLimited ? RateLimitedNote(conversations.Value.RateLimit) : null));
    }

    internal static async Task<Results<Ok<List<SandboxMessage>>, ProblemHttpResult>> GetMessages(string chatId, BazaarDb db, TimeProvider clock,
        CancellationToken ct, long after = 0, string channel = ChatChannel.Sandbox)
    {
        if (string.IsNullOrWhiteSpace(chatId)) return Problems.BadRequest("chat_id_required", "Give the chatId of a sandbox chat.");
        if (channel is not (ChatChannel.Sandbox or ChatChannel.SandboxWhatsApp))
            return Problems.BadRequest("channel_invalid", "channel is sandbox (a Telegram user) or sandbox_whatsapp (a WhatsApp contact).");
        var rows = await db.Outbox.Where(m => m.Channel == channel && m.ChatId == chatId && m.Id > after)
            .OrderBy(m => m.Id).Take(200).ToListAsync(ct);
        return TypedResults.Ok(await DeliverAsync(db, rows, clock, ct));
    }

    /// <summary>One message the sandbox user sent, from the stored inbound update.</summary>
    public sealed record SandboxSaid(long Id, DateTime At, string? Text, bool Photo = false, string? FileName = null);

    internal static async Task<Results<Ok<List<SandboxSaid>>, ProblemHttpResult>> GetSaid(string chatId, BazaarDb db,
        CancellationToken ct, string channel = ChatChannel.Sandbox)
    {
        if (string.IsNullOrWhiteSpace(chatId)) return Problems.BadRequest("chat_id_required", "Give the chatId of a sandbox chat.");
        if (channel is not (ChatChannel.Sandbox or ChatChannel.SandboxWhatsApp))
            return Problems.BadRequest("channel_invalid", "channel is sandbox (a Telegram user) or sandbox_whatsapp (a WhatsApp contact).");
        var rows = await db.InboundUpdates.AsNoTracking().Where(u => u.Channel == channel && u.ChatId == chatId)
            .OrderByDescending(u => u.Id).Take(200).Select(u => new { u.Id, u.ReceivedAt, u.Payload }).ToListAsync(ct);
        var said = new List<SandboxSaid>(rows.Count);
        foreach (var r in Enumerable.Reverse(rows))
        {
            // Button presses are not shown: Telegram shows none either. A file was never uploaded, so only its name is known.
            if (JsonNode.Parse(r.Payload)?["message"] is not JsonObject m) continue;
            var text = (m["text"] ?? m["caption"])?.GetValue<string>();
            var photo = m["photo"] is JsonArray;
            var file = m["document"]?["file_name"]?.GetValue<string>();
            if (text is null && !photo && file is null) continue;
            said.Add(new SandboxSaid(r.Id, r.ReceivedAt, text, photo, file));
        }
        return TypedResults.Ok(said);
    }

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetFile(long outboxId, HttpContext http, BazaarDb db, CancellationToken ct)
    {
        var file = await (from a in db.OutboxAttachments.AsNoTracking()
                          join m in db.Outbox.AsNoTracking() on a.OutboxMessageId equals m.Id
                          where m.Id == outboxId && (m.Channel == ChatChannel.Sandbox || m.Channel == ChatChannel.SandboxWhatsApp)
                          orderby a.Id
                          select new { a.Field, a.FileName, a.Content }).FirstOrDefaultAsync(ct);
        if (file is null) return Problems.NotFound("sandbox_file_not_found", $"Sandbox message {outboxId} has no file.");
        var type = ContentTypes.TryGetContentType(file.FileName, out var t) ? t : "application/octet-stream";
        // Only images are shown inline; anything else is a download, so a bot's file never runs as a page here.
        var inline = file.Field == "photo" && type.StartsWith("image/", StringComparison.Ordinal) && type != "image/svg+xml";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return inline ? TypedResults.File(file.Content, type) : TypedResults.File(file.Content, type, file.FileName);
    }

    private static string? FileOf(OutboxMessage m, JsonObject p, IReadOnlyDictionary<long, string> uploads)
    {
        if (uploads.ContainsKey(m.Id)) return $"/api/v1/sandbox/files/{m.Id}";
        var source = (p["photo"] ?? p["document"]) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        return source is not null && (source.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ||
                                      source.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ? source : null;
    }

    private static SandboxInvoice? InvoiceOf(JsonObject p) =>
        p["title"] is null ? null : new SandboxInvoice(p["title"]!.GetValue<string>(), p["description"]?.GetValue<string>() ?? "",
            p["currency"]?.GetValue<string>() ?? "",
            p["prices"] is JsonArray prices ? prices.Sum(x => x?["amount"]?.GetValue<long>() ?? 0) : 0);

    /// <summary>Marks pending rows sent with the result Telegram would have given (message ids are the outbox ids).</summary>
    private static async Task<List<SandboxMessage>> DeliverAsync(BazaarDb db, List<OutboxMessage> rows, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var list = new List<SandboxMessage>(rows.Count);
        var ids = rows.Where(m => m.Method is "sendPhoto" or "sendDocument").Select(m => m.Id).ToList();
        var uploads = new Dictionary<long, string>();
        if (ids.Count > 0)
            foreach (var a in await db.OutboxAttachments.AsNoTracking().Where(a => ids.Contains(a.OutboxMessageId)).OrderBy(a => a.Id)
                         .Select(a => new { a.OutboxMessageId, a.FileName }).ToListAsync(ct))
                uploads.TryAdd(a.OutboxMessageId, a.FileName);
        foreach (var m in rows)
        {
            var p = JsonNode.Parse(m.Payload) as JsonObject ?? new JsonObject();
            int? messageId = m.Method switch
            {
                "editMessageText" or "editMessageReplyMarkup" or "editMessageCaption" => p["message_id"]?.GetValue<int>(),
                "answerCallbackQuery" or "answerPreCheckoutQuery" => null,
                _ => (int)m.Id,
            };
            var text = (p["text"] ?? p["caption"] ?? p["description"])?.GetValue<string>();
            var caption = p["caption"]?.GetValue<string>();
            var photo = m.Method == "sendPhoto";
            var document = m.Method == "sendDocument";
            var file = photo || document ? FileOf(m, p, uploads) : null;
            var fileName = uploads.GetValueOrDefault(m.Id) ?? (document && file is not null ? Path.GetFileName(new Uri(file).AbsolutePath) : null);
            var invoice = m.Method == "sendInvoice" ? InvoiceOf(p) : null;
            JsonElement? markup = p["reply_markup"] is { } rm ? JsonSerializer.Deserialize<JsonElement>(rm.ToJsonString()) : null;
            if (m.Status == OutboxStatus.Pending)
            {
                JsonNode result = messageId is null ? JsonValue.Create(true) : new JsonObject
                {
                    ["message_id"] = messageId,
                    ["date"] = now.ToUnixTimeSeconds(),
                    ["chat"] = new JsonObject { ["id"] = long.TryParse(m.ChatId, out var cid) ? cid : 0, ["type"] = "private" },
                    [photo || document ? "caption" : "text"] = photo || document ? caption : text,
                    ["reply_markup"] = p["reply_markup"]?.DeepClone(),
                };
                var json = result.ToJsonString();
                var sentAt = now.UtcDateTime;
                await db.Outbox.Where(x => x.Id == m.Id && x.Status == OutboxStatus.Pending)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, OutboxStatus.Sent).SetProperty(x => x.SentAt, sentAt)
                        .SetProperty(x => x.Result, json).SetProperty(x => x.Attempts, x => x.Attempts + 1), ct);
            }
            JsonElement? whatsapp = m.Channel == ChatChannel.SandboxWhatsApp && WhatsAppDelivery.TextBody(m.Method, p, m.ChatId) is { } wa
                ? JsonSerializer.Deserialize<JsonElement>(wa.ToJsonString()) : null;
            list.Add(new SandboxMessage(m.Id, m.Method, m.ChatId, messageId, text, markup,
                p["show_alert"]?.GetValue<bool>() ?? false, m.CreatedAt, caption, photo, document, file, fileName, invoice, whatsapp,
                m.InboundUpdateId));
        }
        return list;
    }
}
