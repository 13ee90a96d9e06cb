using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Bazaar.Server.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ConversationsSync : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_inbound_updates_Channel_BotId_ChatId_UpdateId",
                table: "inbound_updates");

            migrationBuilder.CreateIndex(
                name: "IX_inbound_updates_ChatId_Id",
                table: "inbound_updates",
                columns: new[] { "ChatId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_inbound_updates_open_by_chat",
                table: "inbound_updates",
                columns: new[] { "Channel", "BotId", "ChatId", "UpdateId" },
                filter: "\"Status\" IN ('received', 'processing')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_inbound_updates_ChatId_Id",
                table: "inbound_updates");

            migrationBuilder.DropIndex(
                name: "IX_inbound_updates_open_by_chat",
                table: "inbound_updates");

            migrationBuilder.CreateIndex(
                name: "IX_inbound_updates_Channel_BotId_ChatId_UpdateId",
                table: "inbound_updates",
                columns: new[] { "Channel", "BotId", "ChatId", "UpdateId" });
        }
    }
}
