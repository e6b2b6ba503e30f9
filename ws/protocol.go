package ws

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// ProtocolVersion is announced in the welcome message. It changes only when
// a change would break a client written against docs/websocket.md.
const ProtocolVersion = 1

// Response statuses (the seed protocol's WebSocketResponse.status).
const (
	StatusProcessing = "processing" // the request was accepted
	StatusChunk      = "chunk"      // one piece of the answer
	StatusComplete   = "complete"   // terminal: the request succeeded
	StatusError      = "error"      // terminal: the request failed (chunk.metadata.code says why)
)

// Actions a client can send.
const (
	ActionChat       = "chat"
	ActionDevices    = "devices.list"
	ActionDeviceGet  = "device.get"
	ActionDeviceSet  = "device.set"
	ActionPermitJoin = "permit_join"
	ActionSubscribe  = "subscribe"
	ActionCancel     = "cancel"
	ActionPing       = "ping"
)

// actions lists every action, in the order the welcome message names them.
var actions = []string{ActionChat, ActionDevices, ActionDeviceGet, ActionDeviceSet, ActionPermitJoin, ActionSubscribe, ActionCancel, ActionPing}

// WelcomeID is the request_id of the message the server sends on connect.
const WelcomeID = "welcome"

// MaxRequestIDLen bounds request_id (in bytes).
const MaxRequestIDLen = 128

// Request is a client message (the seed's WebSocketMessage).
type Request struct {
	Action    string          `json:"action"`
	Payload   json.RawMessage `json:"payload,omitempty"`
	RequestID string          `json:"request_id"`
}

// Response is a server message (the seed's WebSocketResponse).
type Response struct {
	RequestID string `json:"request_id"`
	Status    string `json:"status"`
	Chunk     *Chunk `json:"chunk,omitempty"`
}

// Chunk is one piece of an answer. Text is streamed assistant text; Image
// is a picture (an SVG chart, for instance); Metadata is a structured
// object whose "type" key names it ("device_state", "tool_call", "error",
// ...), so a client that knows only text still shows something useful.
type Chunk struct {
	Text     string         `json:"text,omitempty"`
	Image    *Image         `json:"image,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// Image is a picture in a chunk. Data is base64 in JSON. Clients render it
// as an image (for SVG: an <img> with a data: URL, never inline markup), so
// a script inside it never runs.
type Image struct {
	MIMEType string `json:"mime_type"`
	Title    string `json:"title,omitempty"`
	Data     []byte `json:"data"`
}

// Error codes (chunk.metadata.code of an error response). They are stable:
// clients switch on them.
const (
	CodeBadJSON          = "bad_json"           // the message is not a JSON object
	CodeMissingRequestID = "missing_request_id" // request_id absent, empty or not a string
	CodeBadRequestID     = "bad_request_id"     // request_id too long or reserved
	CodeDuplicateID      = "duplicate_request_id"
	CodeUnknownAction    = "unknown_action"
	CodeBadPayload       = "bad_payload" // payload missing a field or of the wrong shape
	CodeTooManyRequests  = "too_many_requests"
	CodeTimeout          = "timeout"   // the request ran past the per-request limit
	CodeCancelled        = "cancelled" // a cancel action stopped it
	CodeNotFound         = "not_found" // cancel named no running request
	CodeShuttingDown     = "shutting_down"
	CodeChatFailed       = "chat_failed"
	CodeInternal         = "internal"
	// Hub outcomes (hub.ErrXxx).
	CodeUnknownDevice   = "unknown_device"
	CodeUnknownProperty = "unknown_property"
	CodeReadOnly        = "read_only"
	CodeNotReadable     = "not_readable"
	CodeInvalidValue    = "invalid_value"
	CodeOutOfRange      = "out_of_range"
	CodeDeviceTimeout   = "device_timeout"
	CodeNotDelivered    = "not_delivered"
	CodeRejected        = "rejected"
	CodeDeviceOffline   = "device_offline"
	CodeNotRunning      = "not_running"
	CodeNotInterviewed  = "not_interviewed"
	CodeInterviewFailed = "interview_failed"
)

// Close codes the server uses besides the standard ones (1000 normal, 1001
// going away on shutdown, 1009 message too big, 1011 internal error).
const (
	// CloseSlowClient: the client did not read its messages fast enough
	// and the send queue filled (1008 policy violation).
	CloseSlowClient = 1008
	// CloseTokenRevoked: the connection's token was revoked. A client
	// should not reconnect with the same token.
	CloseTokenRevoked = 4001
)

// encodeResponse renders one response. Chunks carry only JSON-safe values
// built by this package or decoded from JSON, so Marshal cannot fail on
// them; a value that still fails becomes an internal error response.
func encodeResponse(r Response) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(Response{RequestID: r.RequestID, Status: StatusError,
			Chunk: errorChunk(CodeInternal, "ws: encode response: "+err.Error(), nil)})
	}
	return b
}

// appendChunkResponse renders a chunk response from an already-encoded
// chunk, so one event fans out to many subscriptions with one Marshal.
// requestIDJSON is the request id already encoded as a JSON string.
func appendChunkResponse(dst []byte, requestIDJSON, chunkJSON []byte) []byte {
	dst = append(dst, `{"request_id":`...)
	dst = append(dst, requestIDJSON...)
	dst = append(dst, `,"status":"chunk","chunk":`...)
	dst = append(dst, chunkJSON...)
	return append(dst, '}')
}

// quote encodes s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// errorChunk builds the chunk of an error response.
func errorChunk(code, msg string, extra map[string]any) *Chunk {
	md := map[string]any{"type": "error", "code": code}
	for k, v := range extra {
		md[k] = v
	}
	return &Chunk{Text: msg, Metadata: md}
}

// rawRequest is a client message before validation: each field is checked
// separately so the error names what is wrong.
type rawRequest struct {
	Action    json.RawMessage `json:"action"`
	Payload   json.RawMessage `json:"payload"`
	RequestID json.RawMessage `json:"request_id"`
}

// parseRequest validates a client message. On failure it returns the
// request id it could read (possibly "") with an error code and message.
func parseRequest(data []byte) (req Request, code, msg string) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return req, CodeBadJSON, "message is not a JSON object"
	}
	var raw rawRequest
	if err := json.Unmarshal(data, &raw); err != nil {
		return req, CodeBadJSON, "invalid JSON: " + err.Error()
	}
	if len(raw.RequestID) == 0 || string(raw.RequestID) == "null" {
		return req, CodeMissingRequestID, "request_id is required (a non-empty string)"
	}
	if err := json.Unmarshal(raw.RequestID, &req.RequestID); err != nil || req.RequestID == "" {
		return Request{}, CodeMissingRequestID, "request_id must be a non-empty string"
	}
	if len(req.RequestID) > MaxRequestIDLen {
		req.RequestID = req.RequestID[:MaxRequestIDLen]
		return req, CodeBadRequestID, "request_id is longer than " + strconv.Itoa(MaxRequestIDLen) + " bytes"
	}
	if req.RequestID == WelcomeID {
		return req, CodeBadRequestID, `request_id "welcome" is reserved for the server`
	}
	if len(raw.Action) == 0 || json.Unmarshal(raw.Action, &req.Action) != nil || req.Action == "" {
		return req, CodeUnknownAction, "action is required (a string)"
	}
	if p := bytes.TrimSpace(raw.Payload); len(p) > 0 && string(p) != "null" {
		if p[0] != '{' {
			return req, CodeBadPayload, "payload must be a JSON object"
		}
		req.Payload = p
	}
	return req, "", ""
}
