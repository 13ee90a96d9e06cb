using Bazaar.Server.Admin;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Conversations;

public static class ConversationsModule
{
    public static IServiceCollection AddConversations(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<ConversationOptions>(config.GetSection("Conversations"));
        services.AddSingleton(new BotIdentity { Username = config["Telegram:BotUsername"] });
        services.AddSingleton<WriteGate>();
        services.AddSingleton<BotPipeline>();
        services.AddSingleton<UpdateHandler>();
        services.AddSingleton<UpdateProcessor>();
        services.AddHostedService(sp => sp.GetRequiredService<UpdateProcessor>());
        services.AddSingleton<Inbox>();
        services.AddHostedService(sp => sp.GetRequiredService<Inbox>());
        services.AddScoped<EventLog>();
        services.AddJobHandler<EventLogCleanupJob>(EventLogCleanupJob.Type);
        services.AddRecurringJob(EventLogCleanupJob.Type, TimeSpan.FromHours(1), EventLogCleanupJob.Type);
        services.AddJobHandler<ConversationStateCleanupJob>(ConversationStateCleanupJob.Type);
        services.AddRecurringJob(ConversationStateCleanupJob.Type, TimeSpan.FromHours(1), ConversationStateCleanupJob.Type);
        services.AddBotRoutes(r => r
            .Command<BotPipeline>("start", Start, ConversationTexts.StartCommand)
            .Command<BotPipeline>("help", Help, ConversationTexts.HelpCommand)
            .Command("cancel", Cancel, ConversationTexts.CancelCommand)
            .Callback<BotPipeline>("conv:help", HelpButton));
        return services;
    }

    private static Task Start(BotPipeline pipeline, BotContext ctx)
    {
        ShowStart(pipeline, ctx);
        return Task.CompletedTask;
    }

    /// <summary>The /start greeting and menu, with an optional line after the greeting (a deep link's welcome).</summary>
    public static void ShowStart(BotPipeline pipeline, BotContext ctx, string? extra = null)
    {
        List<InlineKeyboardButton[]> rows = [[InlineKeyboardButton.WithCallbackData(ctx.T(ConversationTexts.HelpButton), "conv:help")]];
        var menu = pipeline.Routes.Menu;
        rows.AddRange(menu.Chunk(2).Select(row => row.Select(m => InlineKeyboardButton.WithCallbackData(ctx.T(m.Label), m.CallbackData)).ToArray()));
        var greeting = ConversationTexts.Greeting(ctx.Language, ctx.User.DisplayName);
        ctx.Reply(extra is null ? greeting : greeting + "\n\n" + extra, new InlineKeyboardMarkup(rows));
    }

    private static async Task Help(BotPipeline pipeline, BotContext ctx)
    {
        var (text, keyboard) = await HelpAsync(pipeline, ctx);
        ctx.Reply(text, keyboard);
    }

    private static async Task HelpButton(BotPipeline pipeline, BotContext ctx)
    {
        ctx.AnswerCallback();
        var (text, keyboard) = await HelpAsync(pipeline, ctx);
        ctx.EditOrReply(text, keyboard);
    }

    /// <summary>The command list, then what features add (the guides' topics as buttons).</summary>
    public static async Task<(string Text, InlineKeyboardMarkup? Keyboard)> HelpAsync(BotPipeline pipeline, BotContext ctx)
    {
        var text = ctx.T(ConversationTexts.HelpHeader) + "\n" + pipeline.CommandList(ctx.Language);
        var rows = new List<InlineKeyboardButton[]>();
        foreach (var part in pipeline.Routes.Help)
        {
            if (await part(ctx) is not { } section) continue;
            if (!string.IsNullOrEmpty(section.Text)) text += "\n\n" + section.Text;
            rows.AddRange(section.Buttons);
        }
        return (text, rows.Count == 0 ? null : new InlineKeyboardMarkup(rows));
    }

    private static async Task Cancel(BotContext ctx)
    {
        var had = await ctx.GetStateAsync() is not null;
        await ctx.ClearStateAsync();
        ctx.Reply(ctx.T(had ? ConversationTexts.Cancelled : ConversationTexts.NothingToCancel));
    }

    public static IEndpointRouteBuilder MapConversationsApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapAdminGroup("/updates", "Event log");
        g.MapGet("/", ListUpdates).WithName("ListInboundUpdates").WithSummary("The event log: inbound updates, newest first, with filters");
        g.MapGet("/{id:long}", GetUpdate).WithName("GetInboundUpdate").WithSummary("One inbound update with its payload");
        g.MapPost("/{id:long}/retry", RetryUpdate).WithName("RetryInboundUpdate").WithSummary("Put a failed update back in the inbox");
        return app;
    }

    public sealed record UpdateView(long Id, string Channel, string BotId, long UpdateId, string Kind, string? UserId, string? ChatId,
        string? Command, UpdateStatus Status, int? HandlerMs, string? Error, int Attempts, DateTime ReceivedAt, DateTime? ProcessedAt);
    public sealed record UpdateDetail(UpdateView Update, string Payload);

    internal static async Task<Ok<Paged<UpdateView>>> ListUpdates(BazaarDb db, CancellationToken ct, int page = 1, int pageSize = 50,
        UpdateStatus? status = null, string? kind = null, string? channel = null, string? userId = null, string? chatId = null, string? command = null)
    {
        var q = db.InboundUpdates.AsNoTracking();
        if (status is { } s) q = q.Where(u => u.Status == s);
        if (!string.IsNullOrWhiteSpace(kind)) q = q.Where(u => u.Kind == kind);
        if (!string.IsNullOrWhiteSpace(channel)) q = q.Where(u => u.Channel == channel);
        if (!string.IsNullOrWhiteSpace(userId)) q = q.Where(u => u.UserId == userId);
        if (!string.IsNullOrWhiteSpace(chatId)) q = q.Where(u => u.ChatId == chatId);
        if (!string.IsNullOrWhiteSpace(command)) q = q.Where(u => u.Command == command.TrimStart('/'));
        return TypedResults.Ok(await Paged<UpdateView>.Of(q.OrderByDescending(u => u.Id).Select(u => new UpdateView(
            u.Id, u.Channel, u.BotId, u.UpdateId, u.Kind, u.UserId, u.ChatId, u.Command, u.Status, u.HandlerMs, u.Error,
            u.Attempts, u.ReceivedAt, u.ProcessedAt)), page, pageSize, ct));
    }

    internal static async Task<Results<Ok<UpdateDetail>, ProblemHttpResult>> GetUpdate(long id, BazaarDb db, CancellationToken ct)
    {
        var u = await db.InboundUpdates.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        return u is null
            ? Problems.NotFound("update_not_found", $"There is no inbound update {id}.")
            : TypedResults.Ok(new UpdateDetail(new UpdateView(u.Id, u.Channel, u.BotId, u.UpdateId, u.Kind, u.UserId, u.ChatId,
                u.Command, u.Status, u.HandlerMs, u.Error, u.Attempts, u.ReceivedAt, u.ProcessedAt), u.Payload));
    }

    internal static async Task<Results<Accepted, ProblemHttpResult>> RetryUpdate(long id, EventLog log, UpdateProcessor processor,
        BazaarDb db, CancellationToken ct)
    {
        if (await log.RetryAsync(id, ct))
        {
            processor.Wake();
            return TypedResults.Accepted($"/api/v1/admin/updates/{id}");
        }
        return await db.InboundUpdates.AnyAsync(u => u.Id == id, ct)
            ? Problems.Conflict("update_not_failed", $"Update {id} has not failed, so there is nothing to retry.")
            : Problems.NotFound("update_not_found", $"There is no inbound update {id}.");
    }
}
