package main

import (
	"strconv"

	"github.com/hyperledger/fabric-chaincode-go/shim"
	pb "github.com/hyperledger/fabric-protos-go/peer"
)

// Chaincode is the classic two-account example (chaincode_example02): each
// account is a ledger key whose value is its balance as a decimal string.
// Every failure is returned as a chaincode error (shim.Error); nothing panics.
type Chaincode struct{}

// The messages clients and tests match on, kept as chaincode_example02 had them.
const (
	errInitArgs     = "Incorrect number of arguments. Expecting 4"
	errHolding      = "Expecting integer value for asset holding"
	errInvokeArgs   = "Incorrect number of arguments. Expecting 3"
	errNotFound     = "Entity not found"
	errAmount       = "Invalid transaction amount, expecting a integer value"
	errGetState     = "Failed to get state"
	errDeleteArgs   = "Incorrect number of arguments. Expecting 1"
	errDeleteState  = "Failed to delete state"
	errQueryArgs    = "Incorrect number of arguments. Expecting name of the person to query"
	errFunctionName = `Invalid invoke function name. Expecting "invoke" "delete" "query"`
)

// Init stores two balances: args A Aval B Bval after the function name, as in
// `{"Args":["init","a","100","b","200"]}`. The function name itself is not
// checked (example02 did not either).
func (cc *Chaincode) Init(stub shim.ChaincodeStubInterface) pb.Response {
	_, args := stub.GetFunctionAndParameters()
	if len(args) != 4 {
		return shim.Error(errInitArgs)
	}
	a, b := args[0], args[2]
	aval, err := strconv.Atoi(args[1])
	if err != nil {
		return shim.Error(errHolding)
	}
	bval, err := strconv.Atoi(args[3])
	if err != nil {
		return shim.Error(errHolding)
	}
	if err := putBalance(stub, a, aval); err != nil {
		return shim.Error(err.Error())
	}
	if err := putBalance(stub, b, bval); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(nil)
}

// Invoke dispatches on the function name: invoke, delete or query.
func (cc *Chaincode) Invoke(stub shim.ChaincodeStubInterface) pb.Response {
	function, args := stub.GetFunctionAndParameters()
	switch function {
	case "invoke":
		return move(stub, args)
	case "delete":
		return remove(stub, args)
	case "query":
		return query(stub, args)
	}
	return shim.Error(errFunctionName)
}

// move transfers X from A to B: args A B X. There is no balance check, so a
// balance may go negative (as in example02).
func move(stub shim.ChaincodeStubInterface, args []string) pb.Response {
	if len(args) != 3 {
		return shim.Error(errInvokeArgs)
	}
	a, b := args[0], args[1]
	aval, resp, ok := getBalance(stub, a)
	if !ok {
		return resp
	}
	bval, resp, ok := getBalance(stub, b)
	if !ok {
		return resp
	}
	x, err := strconv.Atoi(args[2])
	if err != nil {
		return shim.Error(errAmount)
	}
	if err := putBalance(stub, a, aval-x); err != nil {
		return shim.Error(err.Error())
	}
	if err := putBalance(stub, b, bval+x); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(nil)
}

// remove deletes account A: args A.
func remove(stub shim.ChaincodeStubInterface, args []string) pb.Response {
	if len(args) != 1 {
		return shim.Error(errDeleteArgs)
	}
	if err := stub.DelState(args[0]); err != nil {
		return shim.Error(errDeleteState)
	}
	return shim.Success(nil)
}

// query returns A's balance as stored, e.g. the bytes "210": args A.
func query(stub shim.ChaincodeStubInterface, args []string) pb.Response {
	if len(args) != 1 {
		return shim.Error(errQueryArgs)
	}
	a := args[0]
	value, err := stub.GetState(a)
	if err != nil {
		return shim.Error(`{"Error":"Failed to get state for ` + a + `"}`)
	}
	if value == nil {
		return shim.Error(`{"Error":"Nil amount for ` + a + `"}`)
	}
	return shim.Success(value)
}

// getBalance reads an account that must exist. A stored value that is not an
// integer reads as 0, as in example02. When ok is false, resp is the error.
func getBalance(stub shim.ChaincodeStubInterface, key string) (balance int, resp pb.Response, ok bool) {
	value, err := stub.GetState(key)
	if err != nil {
		return 0, shim.Error(errGetState), false
	}
	if value == nil {
		return 0, shim.Error(errNotFound), false
	}
	balance, _ = strconv.Atoi(string(value))
	return balance, pb.Response{}, true
}

func putBalance(stub shim.ChaincodeStubInterface, key string, balance int) error {
	return stub.PutState(key, []byte(strconv.Itoa(balance)))
}
