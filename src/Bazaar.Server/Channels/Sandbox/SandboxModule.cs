using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
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
        g.MapGet("/messages", GetMessages).WithName("SandboxMessages")
            .WithSummary("Messages the bot sent to a sandbox chat after a given message id (e.g. from jobs)");
        return app;
    }

    private static async ValueTask<object?> OnlyWhenEnabled(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next) =>
        IsEnabled(ctx.HttpContext.RequestServices)
            ? await next(ctx)
            : Problems.NotFound("sandbox_disabled", "The sandbox is switched off (Sandbox:Enabled).");

    public sealed record SandboxMessage(long Id, string Method, string ChatId, int? MessageId, string? Text, JsonElement? ReplyMarkup,
        bool ShowAlert, DateTime CreatedAt);
    public sealed record SandboxReply(long InboundId, UpdateStatus Status, IReadOnlyList<SandboxMessage> Messages);

    internal static ContentHttpResult Page()
    {
        using var stream = typeof(SandboxModule).Assembly.GetManifestResourceStream("Bazaar.Server.Channels.Sandbox.sandbox.html")!;
        using var reader = new StreamReader(stream);
        return TypedResults.Content(reader.ReadToEnd(), "text/html; charset=utf-8");
    }

    internal static async Task<Results<Ok<SandboxReply>, ProblemHttpResult>> PostUpdate(HttpContext http, Inbox inbox,
        UpdateProcessor processor, BazaarDb db, TimeProvider clock, IOptions<SandboxOptions> options, CancellationToken ct)
    {
        using var ms = new MemoryStream();
        await http.Request.Body.CopyToAsync(ms, ct);
        var (update, error) = TelegramWebhook.Parse(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        if (update is null) return Problems.BadRequest("update_invalid", error!);
        await inbox.AcceptAsync(new InboundItem(ChatChannel.Sandbox, BotId, update.Id, UpdateInfo.Of(update), Encoding.UTF8.GetString(ms.ToArray())));
        var row = await db.InboundUpdates.AsNoTracking()
            .Where(u => u.Channel == ChatChannel.Sandbox && u.BotId == BotId && u.UpdateId == update.Id)
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
        var rows = await db.Outbox.Where(m => m.Channel == ChatChannel.Sandbox && m.InboundUpdateId == row.Id).OrderBy(m => m.Id).ToListAsync(ct);
        return TypedResults.Ok(new SandboxReply(row.Id, status, await DeliverAsync(db, rows, clock, ct)));
    }

    internal static async Task<Results<Ok<List<SandboxMessage>>, ProblemHttpResult>> GetMessages(string chatId, BazaarDb db, TimeProvider clock,
        CancellationToken ct, long after = 0)
    {
        if (string.IsNullOrWhiteSpace(chatId)) return Problems.BadRequest("chat_id_required", "Give the chatId of a sandbox chat.");
        var rows = await db.Outbox.Where(m => m.Channel == ChatChannel.Sandbox && m.ChatId == chatId && m.Id > after)
            .OrderBy(m => m.Id).Take(200).ToListAsync(ct);
        return TypedResults.Ok(await DeliverAsync(db, rows, clock, ct));
    }

    /// <summary>Marks pending rows sent with the result Telegram would have given (message ids are the outbox ids).</summary>
    private static async Task<List<SandboxMessage>> DeliverAsync(BazaarDb db, List<OutboxMessage> rows, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var list = new List<SandboxMessage>(rows.Count);
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
            JsonElement? markup = p["reply_markup"] is { } rm ? JsonSerializer.Deserialize<JsonElement>(rm.ToJsonString()) : null;
            if (m.Status == OutboxStatus.Pending)
            {
                JsonNode result = messageId is null ? JsonValue.Create(true) : new JsonObject
                {
                    ["message_id"] = messageId,
                    ["date"] = now.ToUnixTimeSeconds(),
                    ["chat"] = new JsonObject { ["id"] = long.TryParse(m.ChatId, out var cid) ? cid : 0, ["type"] = "private" },
                    ["text"] = text,
                    ["reply_markup"] = p["reply_markup"]?.DeepClone(),
                };
                var json = result.ToJsonString();
                var sentAt = now.UtcDateTime;
                await db.Outbox.Where(x => x.Id == m.Id && x.Status == OutboxStatus.Pending)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, OutboxStatus.Sent).SetProperty(x => x.SentAt, sentAt)
                        .SetProperty(x => x.Result, json).SetProperty(x => x.Attempts, x => x.Attempts + 1), ct);
            }
            list.Add(new SandboxMessage(m.Id, m.Method, m.ChatId, messageId, text, markup,
                p["show_alert"]?.GetValue<bool>() ?? false, m.CreatedAt));
        }
        return list;
    }
}
