/*
 * tendon muscle-board protocol, version 1: the board side (docs/protocol.md).
 *
 * Portable C99, no allocation, no dependencies beyond <stdint.h>/<stddef.h>: COBS framing with a
 * 0x00 delimiter, CRC-16/CCITT-FALSE, a byte-at-a-time frame receiver, decoders for the messages
 * a board receives and encoders for the messages it sends. Every multi-byte field is
 * little-endian on the wire, whatever the CPU's byte order. Mirrors hardware/protocol/ (TypeScript);
 * both are tested against hardware/protocol-vectors.json.
 */
#ifndef TENDON_PROTOCOL_H
#define TENDON_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define TP_PROTOCOL_VERSION 1u
#define TP_HEADER_SIZE 5u
#define TP_CRC_SIZE 2u
#define TP_MAX_MUSCLES 16u
#define TP_MAX_JOINTS 4u
#define TP_MAX_PAYLOAD 400u
#define TP_MAX_RAW_FRAME (TP_HEADER_SIZE + TP_MAX_PAYLOAD + TP_CRC_SIZE)
/* Leading delimiter, COBS (worst case one code byte per 254), trailing delimiter. */
#define TP_MAX_WIRE_FRAME (1u + TP_MAX_RAW_FRAME + (TP_MAX_RAW_FRAME + 253u) / 254u + 1u)
#define TP_BROADCAST_ID 0xFFu
#define TP_RESET_MAGIC 0x21545352u

/* Message types. */
enum {
  TP_MSG_IDENTIFY_REQUEST = 0x01,
  TP_MSG_COMMAND = 0x02,
  TP_MSG_CONFIG_BOARD = 0x03,
  TP_MSG_CONFIG_MUSCLE = 0x04,
  TP_MSG_HEARTBEAT = 0x05,
  TP_MSG_ESTOP = 0x06,
  TP_MSG_RESET = 0x07,
  TP_MSG_IDENTIFY = 0x81,
  TP_MSG_STATUS = 0x82,
  TP_MSG_CONFIG_ACK = 0x83,
  TP_MSG_HEARTBEAT_ECHO = 0x85,
  TP_MSG_FAULT = 0x88
};

enum { TP_MODE_OFF = 0, TP_MODE_PWM = 1, TP_MODE_POSITION = 2, TP_MODE_VELOCITY = 3, TP_MODE_DISPLACEMENT = 4, TP_MODE_FORCE = 5, TP_MODE_COUNT = 6 };

/* Decoder results. */
enum { TP_OK = 0, TP_ERR_LENGTH = -1, TP_ERR_VALUE = -2 };

typedef struct { uint8_t unused; } tp_empty_t;

typedef struct { uint8_t mode; int32_t setpoint; } tp_setpoint_t;
typedef struct { uint8_t muscle_count; tp_setpoint_t muscles[TP_MAX_MUSCLES]; } tp_command_t;
typedef struct { uint32_t status_period_us; uint16_t watchdog_ms; uint8_t flags; } tp_config_board_t;
typedef struct { float kp, ki, kd, integral_limit; int32_t deadband; uint16_t output_limit; } tp_pid_t;
typedef struct {
  uint8_t muscle;
  tp_pid_t position, velocity, displacement;
  uint16_t pwm_limit;
  int32_t position_min, position_max, velocity_max, displacement_min, displacement_max, force_max_mn;
  uint16_t current_limit;
  float meters_per_count;
  float spring[4];
} tp_config_muscle_t;
typedef struct { uint32_t host_time_us; } tp_heartbeat_t;
typedef struct { uint8_t engage; } tp_estop_t;

typedef struct {
  uint8_t fw_major, fw_minor, fw_patch, protocol_version, muscle_count, joint_count;
  uint16_t capabilities;
  uint8_t reason;
  uint32_t uid;
} tp_identify_t;
typedef struct {
  int32_t position, velocity, displacement, force_mn;
  int16_t current, output;
  uint8_t mode, faults;
} tp_muscle_status_t;
typedef struct {
  uint32_t board_time_us;
  uint16_t last_command_seq;
  uint8_t flags;
  uint16_t rx_errors;
  uint8_t muscle_count, joint_count;
  tp_muscle_status_t muscles[TP_MAX_MUSCLES];
  uint16_t joints[TP_MAX_JOINTS];
} tp_status_t;
typedef struct { uint8_t acked_type, muscle; uint16_t acked_seq; uint8_t result; } tp_config_ack_t;
typedef struct { uint32_t host_time_us, board_time_us; } tp_heartbeat_echo_t;
typedef struct { uint8_t muscle, code, faults; uint32_t board_time_us; int32_t detail; } tp_fault_t;

/* CRC-16/CCITT-FALSE of n bytes: "123456789" -> 0x29B1. */
uint16_t tp_crc16(const uint8_t *data, size_t n);

/* COBS-encodes n bytes into dst (room for n + n/254 + 1), no delimiter; returns bytes written. */
size_t tp_cobs_encode(const uint8_t *src, size_t n, uint8_t *dst);
/* Decodes one COBS block (no delimiter) into dst; returns the length, or -1 (bad input, or over cap). */
int tp_cobs_decode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap);

/*
 * Builds a frame on the wire from a payload: 00, COBS(version, board, type, seq, payload, CRC), 00.
 * out needs TP_MAX_WIRE_FRAME bytes; returns the length, or 0 when the payload is too long.
 */
size_t tp_frame_encode(uint8_t board_id, uint8_t type, uint16_t seq, const uint8_t *payload, size_t payload_len, uint8_t *out);

/* A decoded frame: header and payload (inside the receiver's buffer, valid until the next push). */
typedef struct {
  uint8_t version, board_id, type;
  uint16_t seq;
  const uint8_t *payload;
  size_t payload_len;
} tp_frame_t;

typedef struct {
  uint32_t frames_ok, crc_errors, cobs_errors, too_long, too_short, version_errors;
} tp_rx_counters_t;

/* Byte-at-a-time frame receiver: garbage is dropped up to the next 0x00. */
typedef struct {
  uint8_t acc[TP_MAX_WIRE_FRAME];
  size_t acc_len;
  int discarding;
  uint8_t raw[TP_MAX_RAW_FRAME];
  tp_rx_counters_t counters;
} tp_rx_t;

void tp_rx_init(tp_rx_t *rx);
/* Feeds one byte; returns 1 and fills *frame when it completed a good frame, else 0. */
int tp_rx_push(tp_rx_t *rx, uint8_t byte, tp_frame_t *frame);

/* Board side: decoders of host messages (TP_OK, TP_ERR_LENGTH or TP_ERR_VALUE). */
int tp_decode_command(const uint8_t *p, size_t n, tp_command_t *out);
int tp_decode_config_board(const uint8_t *p, size_t n, tp_config_board_t *out);
int tp_decode_config_muscle(const uint8_t *p, size_t n, tp_config_muscle_t *out);
int tp_decode_heartbeat(const uint8_t *p, size_t n, tp_heartbeat_t *out);
int tp_decode_estop(const uint8_t *p, size_t n, tp_estop_t *out);
int tp_decode_reset(const uint8_t *p, size_t n);
int tp_decode_identify_request(const uint8_t *p, size_t n);

/* Board side: encoders of board messages into a payload buffer (TP_MAX_PAYLOAD); return the length. */
size_t tp_encode_identify(const tp_identify_t *m, uint8_t *p);
size_t tp_encode_status(const tp_status_t *m, uint8_t *p);
size_t tp_encode_config_ack(const tp_config_ack_t *m, uint8_t *p);
size_t tp_encode_heartbeat_echo(const tp_heartbeat_echo_t *m, uint8_t *p);
size_t tp_encode_fault(const tp_fault_t *m, uint8_t *p);

#endif
