# A phase approval: RELEASE#PHASE. The promotion is declared with count, so
# the address takes the index.
import {
  to = ocuroot_promotion.web_prod_approval[0]
  id = "web@2.0.0#prod"
}
