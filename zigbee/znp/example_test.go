package znp_test

import (
	"fmt"

	"github.com/zhubhq/zhub/zigbee/znp"
)

// A driver builds requests from Params and reads typed fields from the
// decoded answers.
func Example() {
	f, err := znp.AFDataRequest.EncodeRequest(znp.Params{
		"dstAddr": 0x567E, "dstEndpoint": 1, "srcEndpoint": 1, "clusterId": 0x0006,
		"transId": 0x15, "options": 0, "radius": 30, "data": []byte{0x01, 0x07, 0x01}, // dataLen is computed
	})
	if err != nil {
		panic(err)
	}
	wire, _ := znp.AppendFrame(nil, f)
	fmt.Printf("% X\n", wire)

	confirm, _ := znp.ParseFrame([]byte{0xFE, 0x03, 0x44, 0x80, 0xE9, 0x01, 0x15, 0x3A})
	cmd, p, err := znp.Decode(confirm)
	if err != nil {
		panic(err)
	}
	fmt.Println(cmd == znp.AFDataConfirm, p.U8("transId"), p.Status().Err(cmd.Name))
	// Output:
	// FE 0D 24 01 7E 56 01 01 06 00 15 00 1E 03 01 07 01 09
	// true 21 znp: AF_DATA_CONFIRM: status MAC_NO_ACK (0xE9)
}
