/*
 * dlp_table.c - the shipped detector table: etc/dlp.rules, built into
 * proxyd as it is (the same text an operator reads and extends; see
 * dlp_rules.c for its format).
 */
#include "dlp_int.h"

#ifndef DLP_RULES_FILE
#define DLP_RULES_FILE	"etc/dlp.rules"
#endif

__asm__(
	".section .rodata\n"
	".global dlp_table_text\n"
	".type dlp_table_text, @object\n"
	"dlp_table_text:\n"
	".incbin \"" DLP_RULES_FILE "\"\n"
	".byte 0\n"
	".size dlp_table_text, . - dlp_table_text\n"
	".previous\n");
