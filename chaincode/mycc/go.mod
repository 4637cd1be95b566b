// mycc: the project's two-account test chaincode (chaincode_example02
// behaviour). Its own module with a committed vendor/ directory, so a peer's
// external builder compiles it offline (`go build -mod=vendor`). The versions
// are the ones Fabric v2.5.9 itself requires, so they match the peer.
module github.com/fabrun/fabrun/chaincode/mycc

go 1.22

require (
	github.com/hyperledger/fabric-chaincode-go v0.0.0-20220920210243-7bc6fa0dd58b
	github.com/hyperledger/fabric-protos-go v0.2.0
)

require (
	github.com/golang/protobuf v1.5.4 // indirect
	golang.org/x/net v0.23.0 // indirect
	golang.org/x/sys v0.18.0 // indirect
	golang.org/x/text v0.14.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20231106174013-bbf56f31fb17 // indirect
	google.golang.org/grpc v1.61.0 // indirect
	google.golang.org/protobuf v1.34.2 // indirect
)
