using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Bazaar.Server.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Giveaways : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "giveaway_captcha_sessions",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    UserId = table.Column<long>(type: "bigint", nullable: false),
                    GiveawayId = table.Column<long>(type: "bigint", nullable: true),
                    Question = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Answer = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    PassedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    FailedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaway_captcha_sessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "giveaway_draws",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    GiveawayId = table.Column<long>(type: "bigint", nullable: false),
                    RequestedCount = table.Column<int>(type: "integer", nullable: false),
                    SelectedCount = table.Column<int>(type: "integer", nullable: false),
                    Method = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ParticipantCount = table.Column<int>(type: "integer", nullable: false),
                    ParticipantListHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    EligibleIds = table.Column<string>(type: "text", nullable: false),
                    Winners = table.Column<string>(type: "text", nullable: false),
                    ReRolls = table.Column<string>(type: "text", nullable: false),
                    RequestedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CompletedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaway_draws", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "giveaway_participants",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    GiveawayId = table.Column<long>(type: "bigint", nullable: false),
                    UserId = table.Column<long>(type: "bigint", nullable: false),
                    JoinedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    SubscriptionCheckedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaway_participants", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "giveaway_user_records",
                columns: table => new
                {
                    UserId = table.Column<long>(type: "bigint", nullable: false),
                    CaptchaCompletedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    FirstParticipationAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    TotalParticipations = table.Column<int>(type: "integer", nullable: false),
                    TotalWins = table.Column<int>(type: "integer", nullable: false),
                    LastSubscriptionCheckAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaway_user_records", x => x.UserId);
                });

            migrationBuilder.CreateTable(
                name: "giveaway_winners",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    GiveawayId = table.Column<long>(type: "bigint", nullable: false),
                    ParticipantId = table.Column<long>(type: "bigint", nullable: false),
                    UserId = table.Column<long>(type: "bigint", nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false),
                    SelectedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Delivery = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    DeliveryAttempts = table.Column<int>(type: "integer", nullable: false),
                    DeliveryError = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    DeliveryUpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    OutboxMessageId = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaway_winners", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "giveaways",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Prize = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    PhotoUrl = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    WinnerCount = table.Column<int>(type: "integer", nullable: false),
                    StartsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    EndsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    EndAfterParticipants = table.Column<int>(type: "integer", nullable: true),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Commitment = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SeedHex = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    BeaconSource = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    Beacon = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    NotifyNonWinners = table.Column<bool>(type: "boolean", nullable: false),
                    ParticipantCount = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    DrawnAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    PostChannel = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    PostChatId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    PostMessageId = table.Column<int>(type: "integer", nullable: true),
                    PostOutboxId = table.Column<long>(type: "bigint", nullable: true),
                    PostShownCount = table.Column<int>(type: "integer", nullable: false),
                    PostEditedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaways", x => x.Id);
                    table.ForeignKey(
                        name: "FK_giveaways_outbox_PostOutboxId",
                        column: x => x.PostOutboxId,
                        principalTable: "outbox",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "giveaway_channels",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    GiveawayId = table.Column<long>(type: "bigint", nullable: false),
                    ChatId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Link = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaway_channels", x => x.Id);
                    table.ForeignKey(
                        name: "FK_giveaway_channels_giveaways_GiveawayId",
                        column: x => x.GiveawayId,
                        principalTable: "giveaways",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_captcha_sessions_UserId_CreatedAt",
                table: "giveaway_captcha_sessions",
                columns: new[] { "UserId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_channels_GiveawayId",
                table: "giveaway_channels",
                column: "GiveawayId");

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_draws_GiveawayId",
                table: "giveaway_draws",
                column: "GiveawayId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_participants_GiveawayId_UserId",
                table: "giveaway_participants",
                columns: new[] { "GiveawayId", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_participants_UserId",
                table: "giveaway_participants",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_winners_GiveawayId_UserId",
                table: "giveaway_winners",
                columns: new[] { "GiveawayId", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_winners_OutboxMessageId",
                table: "giveaway_winners",
                column: "OutboxMessageId");

            migrationBuilder.CreateIndex(
                name: "IX_giveaways_PostOutboxId",
                table: "giveaways",
                column: "PostOutboxId");

            migrationBuilder.CreateIndex(
                name: "IX_giveaways_Status_EndsAt",
                table: "giveaways",
                columns: new[] { "Status", "EndsAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "giveaway_captcha_sessions");

            migrationBuilder.DropTable(
                name: "giveaway_channels");

            migrationBuilder.DropTable(
                name: "giveaway_draws");

            migrationBuilder.DropTable(
                name: "giveaway_participants");

            migrationBuilder.DropTable(
                name: "giveaway_user_records");

            migrationBuilder.DropTable(
                name: "giveaway_winners");

            migrationBuilder.DropTable(
                name: "giveaways");
        }
    }
}
