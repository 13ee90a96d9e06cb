using System.Text.Json;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Telegram.Bot;
using Telegram.Bot.Requests;
using Telegram.Bot.Requests.Abstractions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Channels;

/// <summary>
/// Adds messages to the outbox inside the caller's unit of work: nothing is written until the caller
/// calls SaveChanges, so a message is sent exactly when the state change that caused it commits.
/// </summary>
public sealed class Outbox
{
    /// <summary>Stands in the payload for a file stored in outbox_attachments; the sender swaps in the upload.</summary>
    public const string AttachedFile = "attach://outbox";

    private readonly BazaarDb db;
    private readonly TimeProvider clock;
    private bool _enqueued;
    private bool _urgentEnqueued;

    public Outbox(BazaarDb db, TimeProvider clock) : this(db, clock, null) { }

    public Outbox(BazaarDb db, TimeProvider clock, OutboxSignal? signal)
    {
        this.db = db;
        this.clock = clock;
        if (signal is not null)
        {
            // Wake the local sender once the rows are committed: now, or when the caller's own transaction commits.
            _wake = signal.Notify;
            _wakeUrgent = signal.NotifyUrgent;
            db.SavedChanges += (_, _) => Saved();
        }
    }

    private readonly Action? _wake, _wakeUrgent;

    /// <summary>Wakes the local sender once what was enqueued is committed.</summary>
    private void Saved()
    {
        if (!_enqueued || _wake is null) return;
        AfterCommit.Run(db, _urgentEnqueued ? _wakeUrgent! : _wake);
        _enqueued = _urgentEnqueued = false;
    }

    /// <summary>
    /// Saves the unit of work when it holds nothing but new outbox rows (most updates only reply): each row is written
    /// by RowInsert (several at once on PostgreSQL) instead of SaveChanges. Returns false, having written nothing, when anything else changed;
    /// the caller then calls SaveChanges as usual.
    /// </summary>
    public async Task<bool> TrySaveRepliesOnlyAsync(CancellationToken ct)
    {
        List<(EntityEntry Entry, OutboxMessage Message)>? added = null;
        foreach (var e in db.ChangeTracker.Entries())
        {
            if (e.State == EntityState.Unchanged) continue;
            if (e.State != EntityState.Added || e.Entity is not OutboxMessage m) return false;
            (added ??= []).Add((e, m));
        }
        if (added is null) return true;
        var ids = await RowInsert.For<OutboxMessage>(db).InsertManyAsync(db, added.Select(a => (object)a.Message).ToList(), ct);
        for (var i = 0; i < added.Count; i++)
        {
            added[i].Entry.State = EntityState.Detached;
            added[i].Message.Id = ids[i];
        }
        Saved();
        return true;
    }

    /// <summary>Set by the pipeline while it handles an update, so replies can be traced to it.</summary>
    public long? CurrentInboundUpdateId { get; set; }

    public OutboxMessage Enqueue<TResponse>(ChatTarget to, IRequest<TResponse> request, bool urgent = false)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var message = new OutboxMessage
        {
            Channel = to.Channel,
            ChatId = to.ChatId,
            UserId = to.UserId,
            Method = request.MethodName,
            Payload = JsonSerializer.Serialize(request, request.GetType(), JsonBotAPI.Options),
            Urgent = urgent,
            CreatedAt = now,
            NextAttemptAt = now,
            InboundUpdateId = CurrentInboundUpdateId,
        };
        db.Set<OutboxMessage>().Add(message);
        _enqueued = true;
        _urgentEnqueued |= urgent;
        return message;
    }

    public OutboxMessage SendText(ChatTarget to, string text, InlineKeyboardMarkup? keyboard = null, ParseMode parseMode = ParseMode.Html) =>
        Enqueue(to, new SendMessageRequest
        {
            ChatId = ChatIdOf(to), Text = text, ReplyMarkup = keyboard, ParseMode = parseMode,
        });

    public OutboxMessage EditText(ChatTarget to, int messageId, string text, InlineKeyboardMarkup? keyboard = null, ParseMode parseMode = ParseMode.Html) =>
        Enqueue(to, new EditMessageTextRequest
        {
            ChatId = ChatIdOf(to), MessageId = messageId, Text = text, ReplyMarkup = keyboard, ParseMode = parseMode,
        });

    public OutboxMessage AnswerCallback(ChatTarget to, string callbackQueryId, string? text = null, bool showAlert = false) =>
        Enqueue(to, new AnswerCallbackQueryRequest { CallbackQueryId = callbackQueryId, Text = text, ShowAlert = showAlert }, urgent: true);

    public OutboxMessage AnswerPreCheckout(ChatTarget to, string preCheckoutQueryId, string? errorMessage = null) =>
        Enqueue(to, new AnswerPreCheckoutQueryRequest { PreCheckoutQueryId = preCheckoutQueryId, Ok = errorMessage is null, ErrorMessage = errorMessage }, urgent: true);

    /// <summary>Uploads a photo (multipart); the bytes are kept with the message until it is sent.</summary>
    public OutboxMessage SendPhoto(ChatTarget to, string fileName, byte[] content, string? caption = null,
        InlineKeyboardMarkup? keyboard = null, ParseMode parseMode = ParseMode.Html) =>
        Attach(SendPhoto(to, AttachedFile, caption, keyboard, parseMode), "photo", fileName, content);

    /// <summary>Sends a photo Telegram already has (file_id) or fetches itself (http URL).</summary>
    public OutboxMessage SendPhoto(ChatTarget to, string fileIdOrUrl, string? caption = null,
        InlineKeyboardMarkup? keyboard = null, ParseMode parseMode = ParseMode.Html) =>
        Enqueue(to, new SendPhotoRequest
        {
            ChatId = ChatIdOf(to), Photo = InputFile.FromString(fileIdOrUrl), Caption = caption, ReplyMarkup = keyboard,
            ParseMode = caption is null ? default : parseMode,
        });

    /// <summary>Uploads a document (multipart); the bytes are kept with the message until it is sent.</summary>
    public OutboxMessage SendDocument(ChatTarget to, string fileName, byte[] content, string? caption = null,
        InlineKeyboardMarkup? keyboard = null, ParseMode parseMode = ParseMode.Html) =>
        Attach(SendDocument(to, AttachedFile, caption, keyboard, parseMode), "document", fileName, content);

    /// <summary>Sends a document by file_id or http URL.</summary>
    public OutboxMessage SendDocument(ChatTarget to, string fileIdOrUrl, string? caption = null,
        InlineKeyboardMarkup? keyboard = null, ParseMode parseMode = ParseMode.Html) =>
        Enqueue(to, new SendDocumentRequest
        {
            ChatId = ChatIdOf(to), Document = InputFile.FromString(fileIdOrUrl), Caption = caption, ReplyMarkup = keyboard,
            ParseMode = caption is null ? default : parseMode,
        });

    private OutboxMessage Attach(OutboxMessage message, string field, string fileName, byte[] content)
    {
        db.Set<OutboxAttachment>().Add(new OutboxAttachment { Message = message, Field = field, FileName = fileName, Content = content });
        return message;
    }

    private static global::Telegram.Bot.Types.ChatId ChatIdOf(ChatTarget to) =>
        long.TryParse(to.ChatId, out var id) ? new global::Telegram.Bot.Types.ChatId(id) : new global::Telegram.Bot.Types.ChatId(to.ChatId);
}
