package zcl

import (
	"encoding/binary"
	"fmt"
)

// AttributeID identifies an attribute within a cluster.
type AttributeID uint16

func (a AttributeID) String() string { return fmt.Sprintf("0x%04X", uint16(a)) }

// Foundation (global) command ids (ZCL §2.5, Table 2-3).
const (
	CmdReadAttributes                     CommandID = 0x00
	CmdReadAttributesResponse             CommandID = 0x01
	CmdWriteAttributes                    CommandID = 0x02
	CmdWriteAttributesUndivided           CommandID = 0x03
	CmdWriteAttributesResponse            CommandID = 0x04
	CmdWriteAttributesNoResponse          CommandID = 0x05
	CmdConfigureReporting                 CommandID = 0x06
	CmdConfigureReportingResponse         CommandID = 0x07
	CmdReadReportingConfiguration         CommandID = 0x08
	CmdReadReportingConfigurationResponse CommandID = 0x09
	CmdReportAttributes                   CommandID = 0x0A
	CmdDefaultResponse                    CommandID = 0x0B
	CmdDiscoverAttributes                 CommandID = 0x0C
	CmdDiscoverAttributesResponse         CommandID = 0x0D
	CmdReadAttributesStructured           CommandID = 0x0E
	CmdWriteAttributesStructured          CommandID = 0x0F
	CmdWriteAttributesStructuredResponse  CommandID = 0x10
	CmdDiscoverCommandsReceived           CommandID = 0x11
	CmdDiscoverCommandsReceivedResponse   CommandID = 0x12
	CmdDiscoverCommandsGenerated          CommandID = 0x13
	CmdDiscoverCommandsGeneratedResponse  CommandID = 0x14
	CmdDiscoverAttributesExtended         CommandID = 0x15
	CmdDiscoverAttributesExtendedResponse CommandID = 0x16
)

var globalNames = [...]string{
	"readAttributes", "readAttributesResponse", "writeAttributes", "writeAttributesUndivided",
	"writeAttributesResponse", "writeAttributesNoResponse", "configureReporting",
	"configureReportingResponse", "readReportingConfiguration", "readReportingConfigurationResponse",
	"reportAttributes", "defaultResponse", "discoverAttributes", "discoverAttributesResponse",
	"readAttributesStructured", "writeAttributesStructured", "writeAttributesStructuredResponse",
	"discoverCommandsReceived", "discoverCommandsReceivedResponse", "discoverCommandsGenerated",
	"discoverCommandsGeneratedResponse", "discoverAttributesExtended", "discoverAttributesExtendedResponse",
}

// GlobalCommandName returns the camelCase name of a foundation command
// ("readAttributes"), or "" when ZCL does not define it.
func GlobalCommandName(c CommandID) string {
	if int(c) < len(globalNames) {
		return globalNames[c]
	}
	return ""
}

// Payload is a command payload that encodes itself.
type Payload interface {
	AppendTo(dst []byte) []byte
}

// NewGlobal returns a client-to-server foundation frame carrying p.
func NewGlobal(tsn uint8, cmd CommandID, p Payload) Frame {
	return Frame{Type: FrameGlobal, TSN: tsn, Command: cmd, Payload: p.AppendTo(nil)}
}

// NewCommand returns a client-to-server cluster-specific frame carrying p
// (nil for commands without a payload).
func NewCommand(tsn uint8, cmd CommandID, p Payload) Frame {
	f := Frame{Type: FrameCluster, TSN: tsn, Command: cmd}
	if p != nil {
		f.Payload = p.AppendTo(nil)
	}
	return f
}

// ReadAttributes is the read attributes command (0x00).
type ReadAttributes struct {
	Attributes []AttributeID
}

// AppendTo implements Payload.
func (p ReadAttributes) AppendTo(dst []byte) []byte {
	for _, a := range p.Attributes {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(a))
	}
	return dst
}

// ParseReadAttributes decodes a read attributes payload.
func ParseReadAttributes(b []byte) (ReadAttributes, error) {
	r := reader{b: b}
	var p ReadAttributes
	if len(b) > 0 {
		p.Attributes = make([]AttributeID, 0, len(b)/2)
	}
	for r.more() {
		p.Attributes = append(p.Attributes, AttributeID(r.u16()))
	}
	if err := r.done("read attributes"); err != nil {
		return ReadAttributes{}, err
	}
	return p, nil
}

// ReadRecord is one read attributes status record; Value is present only
// when Status is StatusSuccess.
type ReadRecord struct {
	ID     AttributeID
	Status Status
	Value  Value
}

// ReadAttributesResponse is the read attributes response (0x01).
type ReadAttributesResponse struct {
	Records []ReadRecord
}

// AppendTo implements Payload.
func (p ReadAttributesResponse) AppendTo(dst []byte) []byte {
	for _, rec := range p.Records {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(rec.ID))
		dst = append(dst, byte(rec.Status))
		if rec.Status == StatusSuccess {
			dst = rec.Value.AppendTyped(dst)
		}
	}
	return dst
}

// Get returns the record for attribute id.
func (p ReadAttributesResponse) Get(id AttributeID) (ReadRecord, bool) {
	for _, r := range p.Records {
		if r.ID == id {
			return r, true
		}
	}
	return ReadRecord{}, false
}

// ParseReadAttributesResponse decodes a read attributes response payload.
func ParseReadAttributesResponse(b []byte) (ReadAttributesResponse, error) {
	r := reader{b: b}
	var p ReadAttributesResponse
	for r.more() {
		rec := ReadRecord{ID: AttributeID(r.u16()), Status: Status(r.u8())}
		if rec.Status == StatusSuccess {
			rec.Value = r.typedValue()
		}
		p.Records = append(p.Records, rec)
	}
	if err := r.done("read attributes response"); err != nil {
		return ReadAttributesResponse{}, err
	}
	return p, nil
}

// AttributeValue is an attribute id with a typed value: a write attributes
// record and a report attributes record.
type AttributeValue struct {
	ID    AttributeID
	Value Value
}

func appendAttributeValues(dst []byte, recs []AttributeValue) []byte {
	for _, rec := range recs {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(rec.ID))
		dst = rec.Value.AppendTyped(dst)
	}
	return dst
}

func parseAttributeValues(op string, b []byte) ([]AttributeValue, error) {
	r := reader{b: b}
	var recs []AttributeValue
	for r.more() {
		id := AttributeID(r.u16())
		recs = append(recs, AttributeValue{ID: id, Value: r.typedValue()})
	}
	if err := r.done(op); err != nil {
		return nil, err
	}
	return recs, nil
}

// WriteAttributes is the payload of write attributes (0x02), write
// attributes undivided (0x03) and write attributes no response (0x05).
type WriteAttributes struct {
	Records []AttributeValue
}

// AppendTo implements Payload.
func (p WriteAttributes) AppendTo(dst []byte) []byte { return appendAttributeValues(dst, p.Records) }

// ParseWriteAttributes decodes a write attributes payload.
func ParseWriteAttributes(b []byte) (WriteAttributes, error) {
	recs, err := parseAttributeValues("write attributes", b)
	return WriteAttributes{Records: recs}, err
}

// ReportAttributes is the report attributes command (0x0A).
type ReportAttributes struct {
	Records []AttributeValue
}

// AppendTo implements Payload.
func (p ReportAttributes) AppendTo(dst []byte) []byte { return appendAttributeValues(dst, p.Records) }

// Get returns the reported value of attribute id.
func (p ReportAttributes) Get(id AttributeID) (Value, bool) {
	for _, r := range p.Records {
		if r.ID == id {
			return r.Value, true
		}
	}
	return Value{}, false
}

// ParseReportAttributes decodes a report attributes payload.
func ParseReportAttributes(b []byte) (ReportAttributes, error) {
	recs, err := parseAttributeValues("report attributes", b)
	return ReportAttributes{Records: recs}, err
}

// AttributeStatus is a write attributes status record.
type AttributeStatus struct {
	Status Status
	ID     AttributeID
}

// WriteAttributesResponse is the write attributes response (0x04).
//
// When every write succeeded ZCL sends a single status byte instead of
// records (ZCL §2.5.5.1); that is Records empty with Status (normally
// StatusSuccess). Otherwise Records lists the failed attributes and Status
// is ignored.
type WriteAttributesResponse struct {
	Status  Status
	Records []AttributeStatus
}

// AppendTo implements Payload.
func (p WriteAttributesResponse) AppendTo(dst []byte) []byte {
	if len(p.Records) == 0 {
		return append(dst, byte(p.Status))
	}
	for _, rec := range p.Records {
		dst = append(dst, byte(rec.Status))
		dst = binary.LittleEndian.AppendUint16(dst, uint16(rec.ID))
	}
	return dst
}

// Err returns nil when every write succeeded, else a *StatusError for the
// first failure.
func (p WriteAttributesResponse) Err() error {
	if len(p.Records) == 0 {
		return p.Status.Err(CmdWriteAttributes)
	}
	for _, r := range p.Records {
		if r.Status != StatusSuccess {
			return r.Status.Err(CmdWriteAttributes)
		}
	}
	return nil
}

// ParseWriteAttributesResponse decodes a write attributes response.
func ParseWriteAttributesResponse(b []byte) (WriteAttributesResponse, error) {
	const op = "write attributes response"
	if len(b) == 1 {
		return WriteAttributesResponse{Status: Status(b[0])}, nil
	}
	if len(b) == 0 {
		return WriteAttributesResponse{}, decodeErr(op, 0, ErrTruncated)
	}
	r := reader{b: b}
	var p WriteAttributesResponse
	for r.more() {
		s := Status(r.u8())
		p.Records = append(p.Records, AttributeStatus{Status: s, ID: AttributeID(r.u16())})
	}
	if err := r.done(op); err != nil {
		return WriteAttributesResponse{}, err
	}
	return p, nil
}

// ReportDirection says which half of a reporting configuration a record
// holds (ZCL §2.5.7.1.1).
type ReportDirection uint8

// Reporting directions.
const (
	// ReportSend configures the receiver to send reports of the attribute.
	ReportSend ReportDirection = 0x00
	// ReportExpect tells the receiver how often it should expect reports.
	ReportExpect ReportDirection = 0x01
)

// ReportingConfig is one attribute reporting configuration record.
//
// For ReportSend: Type, MinInterval, MaxInterval (seconds; 0xFFFF max
// disables reporting), and for analog types Change, a value of Type.
// For ReportExpect: Timeout (seconds, 0 = no timeout).
type ReportingConfig struct {
	Direction   ReportDirection
	ID          AttributeID
	Type        DataType
	MinInterval uint16
	MaxInterval uint16
	Change      Value
	Timeout     uint16
}

// NewReporting returns a ReportSend record. For analog types change is the
// reportable change (converted to t); it is ignored for discrete types.
func NewReporting(id AttributeID, t DataType, minInterval, maxInterval uint16, change float64) ReportingConfig {
	c := ReportingConfig{Direction: ReportSend, ID: id, Type: t, MinInterval: minInterval, MaxInterval: maxInterval}
	if t.IsAnalog() {
		c.Change = NewFloat(t, change)
	}
	return c
}

func (c ReportingConfig) appendBody(dst []byte) []byte {
	if c.Direction == ReportExpect {
		return binary.LittleEndian.AppendUint16(dst, c.Timeout)
	}
	dst = append(dst, byte(c.Type))
	dst = binary.LittleEndian.AppendUint16(dst, c.MinInterval)
	dst = binary.LittleEndian.AppendUint16(dst, c.MaxInterval)
	if c.Type.IsAnalog() {
		dst = c.Change.appendAs(dst, c.Type)
	}
	return dst
}

func (r *reader) reportingBody(c *ReportingConfig) {
	switch c.Direction {
	case ReportSend:
		c.Type = DataType(r.u8())
		if r.err == nil && !c.Type.Known() {
			r.i--
			r.fail(ErrUnknownType)
			return
		}
		c.MinInterval = r.u16()
		c.MaxInterval = r.u16()
		if c.Type.IsAnalog() {
			c.Change = r.value(c.Type)
		}
	case ReportExpect:
		c.Timeout = r.u16()
	default:
		r.fail(ErrBadValue)
	}
}

// ConfigureReporting is the configure reporting command (0x06).
type ConfigureReporting struct {
	Records []ReportingConfig
}

// AppendTo implements Payload.
func (p ConfigureReporting) AppendTo(dst []byte) []byte {
	for _, c := range p.Records {
		dst = append(dst, byte(c.Direction))
		dst = binary.LittleEndian.AppendUint16(dst, uint16(c.ID))
		dst = c.appendBody(dst)
	}
	return dst
}

// ParseConfigureReporting decodes a configure reporting payload.
func ParseConfigureReporting(b []byte) (ConfigureReporting, error) {
	r := reader{b: b}
	var p ConfigureReporting
	for r.more() {
		c := ReportingConfig{Direction: ReportDirection(r.u8()), ID: AttributeID(r.u16())}
		r.reportingBody(&c)
		p.Records = append(p.Records, c)
	}
	if err := r.done("configure reporting"); err != nil {
		return ConfigureReporting{}, err
	}
	return p, nil
}

// ReportingStatus is a configure reporting response record.
type ReportingStatus struct {
	Status    Status
	Direction ReportDirection
	ID        AttributeID
}

// ConfigureReportingResponse is the configure reporting response (0x07).
// As with WriteAttributesResponse, an all-success answer is a single
// status byte: Records empty, Status set.
type ConfigureReportingResponse struct {
	Status  Status
	Records []ReportingStatus
}

// AppendTo implements Payload.
func (p ConfigureReportingResponse) AppendTo(dst []byte) []byte {
	if len(p.Records) == 0 {
		return append(dst, byte(p.Status))
	}
	for _, rec := range p.Records {
		dst = append(dst, byte(rec.Status), byte(rec.Direction))
		dst = binary.LittleEndian.AppendUint16(dst, uint16(rec.ID))
	}
	return dst
}

// Err returns nil when every record succeeded, else a *StatusError for the
// first failure.
func (p ConfigureReportingResponse) Err() error {
	if len(p.Records) == 0 {
		return p.Status.Err(CmdConfigureReporting)
	}
	for _, r := range p.Records {
		if r.Status != StatusSuccess {
			return r.Status.Err(CmdConfigureReporting)
		}
	}
	return nil
}

// ParseConfigureReportingResponse decodes a configure reporting response.
func ParseConfigureReportingResponse(b []byte) (ConfigureReportingResponse, error) {
	const op = "configure reporting response"
	if len(b) == 1 {
		return ConfigureReportingResponse{Status: Status(b[0])}, nil
	}
	if len(b) == 0 {
		return ConfigureReportingResponse{}, decodeErr(op, 0, ErrTruncated)
	}
	r := reader{b: b}
	var p ConfigureReportingResponse
	for r.more() {
		s, d := Status(r.u8()), ReportDirection(r.u8())
		p.Records = append(p.Records, ReportingStatus{Status: s, Direction: d, ID: AttributeID(r.u16())})
	}
	if err := r.done(op); err != nil {
		return ConfigureReportingResponse{}, err
	}
	return p, nil
}

// ReportingKey names one half of an attribute's reporting configuration.
type ReportingKey struct {
	Direction ReportDirection
	ID        AttributeID
}

// ReadReportingConfiguration is the read reporting configuration command
// (0x08).
type ReadReportingConfiguration struct {
	Records []ReportingKey
}

// AppendTo implements Payload.
func (p ReadReportingConfiguration) AppendTo(dst []byte) []byte {
	for _, k := range p.Records {
		dst = append(dst, byte(k.Direction))
		dst = binary.LittleEndian.AppendUint16(dst, uint16(k.ID))
	}
	return dst
}

// ParseReadReportingConfiguration decodes a read reporting configuration
// payload.
func ParseReadReportingConfiguration(b []byte) (ReadReportingConfiguration, error) {
	r := reader{b: b}
	var p ReadReportingConfiguration
	for r.more() {
		d := ReportDirection(r.u8())
		p.Records = append(p.Records, ReportingKey{Direction: d, ID: AttributeID(r.u16())})
	}
	if err := r.done("read reporting configuration"); err != nil {
		return ReadReportingConfiguration{}, err
	}
	return p, nil
}

// ReportingConfigRecord is a read reporting configuration response record:
// the configuration follows only when Status is StatusSuccess.
type ReportingConfigRecord struct {
	Status Status
	ReportingConfig
}

// ReadReportingConfigurationResponse is the read reporting configuration
// response (0x09).
type ReadReportingConfigurationResponse struct {
	Records []ReportingConfigRecord
}

// AppendTo implements Payload.
func (p ReadReportingConfigurationResponse) AppendTo(dst []byte) []byte {
	for _, rec := range p.Records {
		dst = append(dst, byte(rec.Status), byte(rec.Direction))
		dst = binary.LittleEndian.AppendUint16(dst, uint16(rec.ID))
		if rec.Status == StatusSuccess {
			dst = rec.appendBody(dst)
		}
	}
	return dst
}

// ParseReadReportingConfigurationResponse decodes a read reporting
// configuration response.
func ParseReadReportingConfigurationResponse(b []byte) (ReadReportingConfigurationResponse, error) {
	r := reader{b: b}
	var p ReadReportingConfigurationResponse
	for r.more() {
		var rec ReportingConfigRecord
		rec.Status = Status(r.u8())
		rec.Direction = ReportDirection(r.u8())
		rec.ID = AttributeID(r.u16())
		if rec.Status == StatusSuccess {
			r.reportingBody(&rec.ReportingConfig)
		}
		p.Records = append(p.Records, rec)
	}
	if err := r.done("read reporting configuration response"); err != nil {
		return ReadReportingConfigurationResponse{}, err
	}
	return p, nil
}

// DefaultResponse is the default response (0x0B).
type DefaultResponse struct {
	Command CommandID // the command being answered
	Status  Status
}

// AppendTo implements Payload.
func (p DefaultResponse) AppendTo(dst []byte) []byte {
	return append(dst, byte(p.Command), byte(p.Status))
}

// ParseDefaultResponse decodes a default response.
func ParseDefaultResponse(b []byte) (DefaultResponse, error) {
	r := reader{b: b}
	p := DefaultResponse{Command: CommandID(r.u8()), Status: Status(r.u8())}
	if err := r.done("default response"); err != nil {
		return DefaultResponse{}, err
	}
	return p, nil
}

// DiscoverAttributes is the discover attributes command (0x0C) and the
// discover attributes extended command (0x15).
type DiscoverAttributes struct {
	Start AttributeID // first attribute id to list
	Max   uint8       // largest number of ids to return
}

// AppendTo implements Payload.
func (p DiscoverAttributes) AppendTo(dst []byte) []byte {
	return append(binary.LittleEndian.AppendUint16(dst, uint16(p.Start)), p.Max)
}

// ParseDiscoverAttributes decodes a discover attributes (or extended) payload.
func ParseDiscoverAttributes(b []byte) (DiscoverAttributes, error) {
	r := reader{b: b}
	p := DiscoverAttributes{Start: AttributeID(r.u16()), Max: r.u8()}
	if err := r.done("discover attributes"); err != nil {
		return DiscoverAttributes{}, err
	}
	return p, nil
}

// AttributeInfo is a discover attributes response record.
type AttributeInfo struct {
	ID   AttributeID
	Type DataType
}

// DiscoverAttributesResponse is the discover attributes response (0x0D).
type DiscoverAttributesResponse struct {
	Complete bool // no attributes are left to discover
	Records  []AttributeInfo
}

// AppendTo implements Payload.
func (p DiscoverAttributesResponse) AppendTo(dst []byte) []byte {
	dst = append(dst, boolByte(p.Complete))
	for _, rec := range p.Records {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(rec.ID))
		dst = append(dst, byte(rec.Type))
	}
	return dst
}

// ParseDiscoverAttributesResponse decodes a discover attributes response.
func ParseDiscoverAttributesResponse(b []byte) (DiscoverAttributesResponse, error) {
	r := reader{b: b}
	var p DiscoverAttributesResponse
	p.Complete = r.flag()
	for r.more() {
		id := AttributeID(r.u16())
		p.Records = append(p.Records, AttributeInfo{ID: id, Type: DataType(r.u8())})
	}
	if err := r.done("discover attributes response"); err != nil {
		return DiscoverAttributesResponse{}, err
	}
	return p, nil
}

// Access is an attribute's access control bitmap, as in the discover
// attributes extended response (ZCL §2.5.24.1).
type Access uint8

// Access bits.
const (
	AccessRead   Access = 0x01
	AccessWrite  Access = 0x02
	AccessReport Access = 0x04
)

func (a Access) String() string {
	s := []byte("---")
	if a&AccessRead != 0 {
		s[0] = 'r'
	}
	if a&AccessWrite != 0 {
		s[1] = 'w'
	}
	if a&AccessReport != 0 {
		s[2] = 'p'
	}
	return string(s)
}

// AttributeInfoExt is a discover attributes extended response record.
type AttributeInfoExt struct {
	ID     AttributeID
	Type   DataType
	Access Access
}

// DiscoverAttributesExtendedResponse is the discover attributes extended
// response (0x16).
type DiscoverAttributesExtendedResponse struct {
	Complete bool
	Records  []AttributeInfoExt
}

// AppendTo implements Payload.
func (p DiscoverAttributesExtendedResponse) AppendTo(dst []byte) []byte {
	dst = append(dst, boolByte(p.Complete))
	for _, rec := range p.Records {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(rec.ID))
		dst = append(dst, byte(rec.Type), byte(rec.Access))
	}
	return dst
}

// ParseDiscoverAttributesExtendedResponse decodes a discover attributes
// extended response.
func ParseDiscoverAttributesExtendedResponse(b []byte) (DiscoverAttributesExtendedResponse, error) {
	r := reader{b: b}
	var p DiscoverAttributesExtendedResponse
	p.Complete = r.flag()
	for r.more() {
		id := AttributeID(r.u16())
		t := DataType(r.u8())
		p.Records = append(p.Records, AttributeInfoExt{ID: id, Type: t, Access: Access(r.u8())})
	}
	if err := r.done("discover attributes extended response"); err != nil {
		return DiscoverAttributesExtendedResponse{}, err
	}
	return p, nil
}

// DiscoverCommands is the discover commands received (0x11) and generated
// (0x13) command.
type DiscoverCommands struct {
	Start CommandID
	Max   uint8
}

// AppendTo implements Payload.
func (p DiscoverCommands) AppendTo(dst []byte) []byte { return append(dst, byte(p.Start), p.Max) }

// ParseDiscoverCommands decodes a discover commands payload.
func ParseDiscoverCommands(b []byte) (DiscoverCommands, error) {
	r := reader{b: b}
	p := DiscoverCommands{Start: CommandID(r.u8()), Max: r.u8()}
	if err := r.done("discover commands"); err != nil {
		return DiscoverCommands{}, err
	}
	return p, nil
}

// DiscoverCommandsResponse is the discover commands received (0x12) and
// generated (0x14) response.
type DiscoverCommandsResponse struct {
	Complete bool
	Commands []CommandID
}

// AppendTo implements Payload.
func (p DiscoverCommandsResponse) AppendTo(dst []byte) []byte {
	dst = append(dst, boolByte(p.Complete))
	for _, c := range p.Commands {
		dst = append(dst, byte(c))
	}
	return dst
}

// ParseDiscoverCommandsResponse decodes a discover commands response.
func ParseDiscoverCommandsResponse(b []byte) (DiscoverCommandsResponse, error) {
	r := reader{b: b}
	var p DiscoverCommandsResponse
	p.Complete = r.flag()
	for r.more() {
		p.Commands = append(p.Commands, CommandID(r.u8()))
	}
	if err := r.done("discover commands response"); err != nil {
		return DiscoverCommandsResponse{}, err
	}
	return p, nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// flag reads a boolean byte; values other than 0 and 1 are rejected so a
// decoded payload re-encodes byte for byte.
func (r *reader) flag() bool {
	v := r.u8()
	if v > 1 {
		r.i--
		r.fail(ErrBadValue)
	}
	return v == 1
}

// ParseGlobalPayload decodes the payload of foundation command cmd into
// its struct (ReadAttributes, ReportAttributes, DefaultResponse, ...).
// Structured reads and writes (0x0E–0x10) are not decoded and return
// ErrUnknownCommand.
func ParseGlobalPayload(cmd CommandID, b []byte) (Payload, error) {
	switch cmd {
	case CmdReadAttributes:
		return ParseReadAttributes(b)
	case CmdReadAttributesResponse:
		return ParseReadAttributesResponse(b)
	case CmdWriteAttributes, CmdWriteAttributesUndivided, CmdWriteAttributesNoResponse:
		return ParseWriteAttributes(b)
	case CmdWriteAttributesResponse:
		return ParseWriteAttributesResponse(b)
	case CmdConfigureReporting:
		return ParseConfigureReporting(b)
	case CmdConfigureReportingResponse:
		return ParseConfigureReportingResponse(b)
	case CmdReadReportingConfiguration:
		return ParseReadReportingConfiguration(b)
	case CmdReadReportingConfigurationResponse:
		return ParseReadReportingConfigurationResponse(b)
	case CmdReportAttributes:
		return ParseReportAttributes(b)
	case CmdDefaultResponse:
		return ParseDefaultResponse(b)
	case CmdDiscoverAttributes, CmdDiscoverAttributesExtended:
		return ParseDiscoverAttributes(b)
	case CmdDiscoverAttributesResponse:
		return ParseDiscoverAttributesResponse(b)
	case CmdDiscoverAttributesExtendedResponse:
		return ParseDiscoverAttributesExtendedResponse(b)
	case CmdDiscoverCommandsReceived, CmdDiscoverCommandsGenerated:
		return ParseDiscoverCommands(b)
	case CmdDiscoverCommandsReceivedResponse, CmdDiscoverCommandsGeneratedResponse:
		return ParseDiscoverCommandsResponse(b)
	}
	return nil, decodeErr(fmt.Sprintf("global command 0x%02X", uint8(cmd)), 0, ErrUnknownCommand)
}
