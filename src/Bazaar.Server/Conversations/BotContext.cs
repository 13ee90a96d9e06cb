using System.Text.Json;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Conversations;

/// <summary>
/// Everything a handler gets for one update: who, where, what they sent, and the unit of work
/// (the scoped BazaarDb and Outbox). The pipeline saves the unit of work after the handler returns.
/// </summary>
public sealed class BotContext(string channel, long inboundId, Update update, UpdateInfo info, BazaarDb db, Outbox outbox,
    IServiceProvider services, TimeProvider clock, ConversationOptions options, CancellationToken cancellationToken)
{
    public string Channel { get; } = channel;
    /// <summary>The inbound_updates row being handled.</summary>
    public long InboundUpdateId { get; } = inboundId;
    public Update Update { get; } = update;
    public UpdateInfo Info { get; } = info;
    public BazaarDb Db { get; } = db;
    public Outbox Outbox { get; } = outbox;
    public IServiceProvider Services { get; } = services;
    public TimeProvider Clock { get; } = clock;
    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>The sender, created or updated by the pipeline before any handler runs.</summary>
    public ChatUser User { get; internal set; } = null!;
    /// <summary>Where replies go.</summary>
    public ChatTarget Chat { get; internal set; } = null!;
    public bool IsAdmin { get; internal set; }
    public string Language => User?.LanguageCode ?? Languages.English;

    /// <summary>The command without slash or bot name ("wallet" for "/wallet@Bot 10"), when the message is one.</summary>
    public string? Command { get; internal set; }
    /// <summary>What follows the command, or the deep-link payload after /start.</summary>
    public string Args { get; internal set; } = "";
    /// <summary>The callback data of a pressed button.</summary>
    public string? CallbackData => Update.CallbackQuery?.Data;
    public Message? Message => Update.Message;
    /// <summary>The message text, or a media caption.</summary>
    public string? Text => Message?.Text ?? Message?.Caption;
    public bool IsPrivateChat => (Message?.Chat ?? Update.CallbackQuery?.Message?.Chat)?.Type is null or ChatType.Private;

    /// <summary>How the event log records this update; a handler may say it ignored it.</summary>
    public UpdateStatus Status { get; set; } = UpdateStatus.Processed;

    public DateTime Now => Clock.GetUtcNow().UtcDateTime;

    public string T(Localized text) => text.In(Language);

    public OutboxMessage Reply(string text, InlineKeyboardMarkup? keyboard = null) => Outbox.SendText(Chat, text, keyboard);

    /// <summary>Stops the spinner on a pressed button, optionally with a toast.</summary>
    public OutboxMessage? AnswerCallback(string? text = null, bool alert = false) =>
        Update.CallbackQuery is { } cq ? Outbox.AnswerCallback(Chat, cq.Id, text, alert) : null;

    /// <summary>Edits the message whose button was pressed, or replies when there is none.</summary>
    public OutboxMessage EditOrReply(string text, InlineKeyboardMarkup? keyboard = null) =>
        Update.CallbackQuery?.Message is { } m ? Outbox.EditText(Chat, m.MessageId, text, keyboard) : Reply(text, keyboard);

    // Conversation state

    private ConversationState? _state;
    private bool _stateLoaded;

    /// <summary>The chat's current step, unless it has expired.</summary>
    public async Task<ConversationState?> GetStateAsync()
    {
        if (_stateLoaded) return _state;
        _stateLoaded = true;
        var s = Db.ChangeTracker.Entries<ConversationState>().FirstOrDefault(e => e.Entity.Channel == Channel && e.Entity.ChatId == Chat.ChatId)?.Entity
            ?? await LoadStateAsync();
        if (s is not null && s.ExpiresAt <= Now)
        {
            Db.ConversationStates.Remove(s);
            s = null;
        }
        _state = s;
        return _state;
    }

    // Most messages ask, so this is one prepared statement; the row found is tracked like a query's result.
    private async Task<ConversationState?> LoadStateAsync()
    {
        var cmd = Db.HotCommand("""
            SELECT "Step", "Data", "UpdatedAt", "ExpiresAt" FROM conversation_states WHERE "Channel" = @c AND "ChatId" = @chat
            """, "@c", "@chat");
        cmd.Parameters[0].Value = Channel;
        cmd.Parameters[1].Value = Chat.ChatId;
        await using var r = await cmd.ExecuteReaderAsync(CancellationToken);
        if (!await r.ReadAsync(CancellationToken)) return null;
        var s = new ConversationState
        {
            Channel = Channel, ChatId = Chat.ChatId, Step = r.GetString(0), Data = r.IsDBNull(1) ? null : r.GetString(1),
            UpdatedAt = DateTime.SpecifyKind(r.GetDateTime(2), DateTimeKind.Utc), ExpiresAt = DateTime.SpecifyKind(r.GetDateTime(3), DateTimeKind.Utc),
        };
        Db.ConversationStates.Attach(s);
        return s;
    }

    public async Task SetStepAsync(string step, object? data = null)
    {
        var s = await GetStateAsync();
        var json = data is null ? null : JsonSerializer.Serialize(data, data.GetType(), JsonSerializerOptions.Web);
        if (s is null)
        {
            s = new ConversationState { Channel = Channel, ChatId = Chat.ChatId, Step = step };
            // A row that expired was removed above; put it back as the new step rather than insert twice.
            var existing = Db.ChangeTracker.Entries<ConversationState>().FirstOrDefault(e => e.Entity.ChatId == Chat.ChatId && e.Entity.Channel == Channel);
            if (existing is not null) { s = existing.Entity; existing.State = Microsoft.EntityFrameworkCore.EntityState.Modified; }
            else Db.ConversationStates.Add(s);
        }
        s.Step = step;
        s.Data = json;
        s.UpdatedAt = Now;
        s.ExpiresAt = Now.AddMinutes(options.StateTtlMinutes);
        _state = s;
    }

    public async Task ClearStateAsync()
    {
        var s = await GetStateAsync();
        if (s is not null) Db.ConversationStates.Remove(s);
        _state = null;
    }

    public async Task<T?> GetStateDataAsync<T>()
    {
        var s = await GetStateAsync();
        return s?.Data is null ? default : JsonSerializer.Deserialize<T>(s.Data, JsonSerializerOptions.Web);
    }
}
